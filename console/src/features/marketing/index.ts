export { SegmentEditorPage } from './pages/SegmentEditorPage';
export { SegmentsPage } from './pages/SegmentsPage';
export { CampaignCreatePage } from './pages/CampaignCreatePage';
export { CampaignPage } from './pages/CampaignPage';
export { CampaignsPage } from './pages/CampaignsPage';
export { LotteriesPage } from './pages/LotteriesPage';
export { LotteryPage } from './pages/LotteryPage';
export { CarePage } from './pages/CarePage';
