import { Modal, type ModalProps } from 'antd';

/** A create form in a modal; forms inside are one column, so it fits a phone as well. */
export function FormModal(props: ModalProps) {
  return <Modal width={560} destroyOnHidden mask={{ closable: false }} styles={{ body: { paddingTop: 12 } }} {...props} />;
}
