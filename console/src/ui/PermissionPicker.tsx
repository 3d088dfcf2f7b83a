import { Checkbox, Flex, Typography } from 'antd';

/** Checkboxes for permissions, grouped by their prefix (`members.read` → members). A controlled
 * form field: `value` / `onChange` come from Form.Item. */
export function PermissionPicker(props: {
  permissions: readonly string[];
  label: (p: string) => string;
  groupLabel: (g: string) => string;
  value?: string[];
  onChange?: (v: string[]) => void;
  disabled?: boolean;
}) {
  const value = props.value ?? [];
  const groups = new Map<string, string[]>();
  for (const p of props.permissions) {
    const g = p.split('.')[0] ?? p;
    groups.set(g, [...(groups.get(g) ?? []), p]);
  }
  const set = (p: string, on: boolean) => {
    const next = on ? [...new Set([...value, p])] : value.filter((x) => x !== p);
    props.onChange?.(props.permissions.filter((x) => next.includes(x)));
  };
  return (
    <Flex vertical gap={8}>
      {[...groups.entries()].map(([g, perms]) => {
        const on = perms.filter((p) => value.includes(p)).length;
        return (
          <div key={g}>
            <Checkbox
              checked={on === perms.length}
              indeterminate={on > 0 && on < perms.length}
              disabled={props.disabled}
              onChange={(e) => {
                const rest = value.filter((x) => !perms.includes(x));
                props.onChange?.(props.permissions.filter((x) => (e.target.checked ? [...rest, ...perms] : rest).includes(x)));
              }}
            >
              <Typography.Text strong>{props.groupLabel(g)}</Typography.Text>
            </Checkbox>
            <Flex wrap gap="4px 16px" style={{ paddingInlineStart: 24, marginTop: 4 }}>
              {perms.map((p) => (
                <Checkbox key={p} checked={value.includes(p)} disabled={props.disabled} onChange={(e) => set(p, e.target.checked)}>
                  {props.label(p)}
                </Checkbox>
              ))}
            </Flex>
          </div>
        );
      })}
    </Flex>
  );
}
