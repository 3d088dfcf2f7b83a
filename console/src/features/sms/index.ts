export { InboxPage, MemberFeedbackTab } from './pages/InboxPage';
export { MemberSmsTab, MessagesPage } from './pages/MessagesPage';
export { ReportsPage } from './pages/ReportsPage';
export { SimulatorPage } from './pages/SimulatorPage';
export { SmsSettingsPage } from './pages/SmsSettingsPage';
