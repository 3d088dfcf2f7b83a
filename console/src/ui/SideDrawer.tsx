import { Drawer, type DrawerProps } from 'antd';
import { useIsMobile } from './useIsMobile';

/** A form drawer: the full width on phones, 520 px beside the page otherwise. */
export function SideDrawer(props: DrawerProps) {
  const mobile = useIsMobile();
  return <Drawer size={mobile ? '100%' : 520} destroyOnHidden {...props} />;
}
