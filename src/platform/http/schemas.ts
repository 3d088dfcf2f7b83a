import { Type } from 'typebox';

/** Ids are bigint decimal strings; 18 digits keeps every accepted value inside bigint. */
export const IdString = Type.String({ pattern: '^[0-9]{1,18}$', description: 'decimal id' });
export const IdParams = Type.Object({ id: IdString }, { additionalProperties: false });
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem' },
);
export const Timestamp = Type.String({ format: 'date-time' });
