/** Checks of bodies against the schemas of an OpenAPI document (the components it refers to). */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export interface DocumentedMedia {
  schema: object;
  example?: unknown;
}

/**
 * A function telling whether `body` matches `media.schema` of `doc` (whose `$ref`s point into
 * `#/components`); returns the validator's errors, or null when it matches.
 */
export function schemaChecker(doc: { components: object }): (media: DocumentedMedia, body: unknown) => object[] | null {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv, ['date-time']);
  ajv.addSchema({ components: doc.components }, 'doc');
  return (media, body) => {
    const schema = JSON.parse(JSON.stringify(media.schema).replaceAll('"#/', '"doc#/')) as object;
    return ajv.validate(schema, body) ? null : (ajv.errors ?? []);
  };
}
