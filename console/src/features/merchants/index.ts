export { MerchantsPage } from './pages/MerchantsPage';
