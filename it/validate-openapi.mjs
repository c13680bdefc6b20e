// Validates an OpenAPI document (3.0, 3.1 or 3.2) against the official schemas, with
// @seriousme/openapi-schema-validator. Usage: node validate-openapi.mjs FILE
// Prints one JSON line {"valid", "version", "errors"}; exits 0 when valid, 1 when not.
import { Validator } from "@seriousme/openapi-schema-validator";

const validator = new Validator();
const result = await validator.validate(process.argv[2]);
console.log(
  JSON.stringify({
    valid: result.valid,
    version: validator.version ?? null,
    errors: result.errors ?? null,
  }),
);
process.exit(result.valid ? 0 : 1);
