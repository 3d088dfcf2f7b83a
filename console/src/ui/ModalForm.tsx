import { Form, type FormInstance } from 'antd';
import { useEffect, useState, type ReactNode } from 'react';
import { FormModal } from './FormModal';
import { useFormErrors, type CodeMapping } from './formErrors';

/**
 * A small form in a modal (a top-up, a reason for an adjustment): one column, the API's
 * errors under their fields, the OK button busy while the request runs, the form reset
 * each time the modal opens. `onSubmit` throws the API error to have it shown.
 */
export function ModalForm<V extends object>(props: {
  open: boolean;
  title: ReactNode;
  okText: ReactNode;
  onClose: () => void;
  onSubmit: (values: V) => Promise<unknown>;
  initialValues?: Partial<V>;
  errorCodes?: Record<string, CodeMapping>;
  errorPaths?: Record<string, string>;
  danger?: boolean;
  /** Called when the modal opens (e.g. to start a new idempotency key). */
  onOpen?: () => void;
  children: ReactNode | ((form: FormInstance<V>) => ReactNode);
}) {
  const [form] = Form.useForm<V>();
  const errors = useFormErrors(form);
  const [busy, setBusy] = useState(false);
  const { open, onOpen } = props;
  useEffect(() => {
    if (open) onOpen?.();
    // only when it opens
  }, [open]);

  const submit = async (values: V) => {
    setBusy(true);
    errors.clear();
    try {
      await props.onSubmit(values);
      props.onClose();
    } catch (err) {
      errors.handle(err, props.errorCodes, props.errorPaths);
    } finally {
      setBusy(false);
    }
  };

  return (
    <FormModal
      open={open}
      title={props.title}
      okText={props.okText}
      onOk={() => form.submit()}
      onCancel={props.onClose}
      confirmLoading={busy}
      okButtonProps={{ danger: props.danger }}
      afterClose={() => errors.clear()}
    >
      {errors.alert}
      <Form<V> form={form} layout="vertical" initialValues={props.initialValues} onFinish={(v) => void submit(v)} preserve={false}>
        {typeof props.children === 'function' ? props.children(form) : props.children}
      </Form>
    </FormModal>
  );
}
