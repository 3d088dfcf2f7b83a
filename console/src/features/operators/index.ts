export { OperatorsPage } from './pages/OperatorsPage';
