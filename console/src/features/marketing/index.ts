export { SegmentEditorPage } from './pages/SegmentEditorPage';
export { SegmentsPage } from './pages/SegmentsPage';
