export { EmailMessagesPage } from './pages/EmailMessagesPage';
export { EmailSettingsPage } from './pages/EmailSettingsPage';
