/** @parley/cli — the `parley` command (bin/parley.js runs {@link main}). */
export { main } from "./main.ts";
export { EXIT } from "./errors.ts";
