import { Alert, type FormInstance } from 'antd';
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';

type NamePath = (string | number)[];

/** What the console's API errors look like to this module (it imports nothing from app/). */
interface ProblemLike {
  status: number;
  problem: { type: string; detail?: string; errors?: { path: string; message: string }[] };
}

function isProblemLike(e: unknown): e is ProblemLike {
  return typeof e === 'object' && e !== null && 'status' in e && 'problem' in e;
}

/** `body.admin.username` → ['admin', 'username']; `body.items.0.sku` → ['items', 0, 'sku']. */
export function pathToName(path: string): NamePath {
  const parts = path.split('.');
  if (parts[0] === 'body' || parts[0] === 'querystring' || parts[0] === 'params') parts.shift();
  return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** A problem type (its last segment, e.g. `extension_clash`) the form knows how to show. */
export interface CodeMapping {
  field?: NamePath | string;
  message: string;
}

/**
 * Form errors from the API: every `errors[].path` that names a field of the form is shown
 * under that field (in the console's words when `byPath` has the path); known problem codes
 * (409s carry no path, or the same path as their errors) map to a field or a message; anything
 * left becomes one alert above the form.
 */
export function useFormErrors(form: FormInstance) {
  const { t } = useTranslation();
  const [formError, setFormError] = useState<string | null>(null);

  const handle = useCallback(
    (err: unknown, byCode: Record<string, CodeMapping> = {}, byPath: Record<string, string> = {}) => {
      if (!isProblemLike(err)) {
        setFormError(err instanceof Error ? err.message : t('errors.generic'));
        return;
      }
      if (err.status === 0) {
        setFormError(t('errors.network'));
        return;
      }
      const registered = new Set(form.getFieldsError().map((f) => JSON.stringify(f.name)));
      const inline = new Map<string, { name: NamePath; errors: string[] }>();
      const leftover: string[] = [];
      const add = (name: NamePath, message: string) => {
        const key = JSON.stringify(name);
        if (!registered.has(key)) return false;
        const entry = inline.get(key) ?? { name, errors: [] };
        entry.errors.push(message);
        inline.set(key, entry);
        return true;
      };
      const code = err.problem.type.split('/').pop() ?? '';
      const mapped = byCode[code] ?? (code === 'csrf' ? { message: t('errors.csrf') } : undefined);
      let mappedField: string | null = null;
      if (mapped) {
        const field = mapped.field === undefined ? undefined : Array.isArray(mapped.field) ? mapped.field : [mapped.field];
        if (field && add(field, mapped.message)) mappedField = JSON.stringify(field);
        else leftover.push(mapped.message);
      }
      for (const fe of err.problem.errors ?? []) {
        const name = pathToName(fe.path);
        // The code's own message already explains this field better than the raw one.
        if (JSON.stringify(name) === mappedField) continue;
        const message = byPath[fe.path] ?? fe.message;
        if (!add(name, message)) leftover.push(`${fe.path.replace(/^body\./, '')}: ${message}`);
      }
      if (!mapped && !(err.problem.errors?.length)) leftover.push(err.problem.detail ?? t('errors.generic'));
      form.setFields([...inline.values()]);
      setFormError(leftover.length ? leftover.join('；') : null);
    },
    [form, t],
  );

  const alert = formError ? (
    <Alert type="error" showIcon title={formError} style={{ marginBottom: 16 }} role="alert" />
  ) : null;

  return { handle, alert, clear: () => setFormError(null) };
}
