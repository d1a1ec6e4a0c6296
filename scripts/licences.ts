// `npm run licences` (also part of `npm run lint`): fails when a production
// dependency of a shipped workspace has a licence Parley cannot ship under
// Apache-2.0. Policy and exceptions: docs/licences.md, scripts/licences/.
//   node scripts/licences.ts          one line per problem, exit 1; one summary line when clean
//   node scripts/licences.ts --list   also every package with its licence and where it ships
import { fileURLToPath } from "node:url";
import { checkLicences } from "./licences/check.ts";
import { LICENCE_EXCEPTIONS } from "./licences/exceptions.ts";
import { SHIPPED_WORKSPACES } from "./licences/policy.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const { problems, packages } = checkLicences({ root, workspaces: SHIPPED_WORKSPACES, exceptions: LICENCE_EXCEPTIONS });

if (process.argv.includes("--list")) {
  for (const p of packages) {
    const note = p.exception !== undefined ? `  [exception: ${p.exception.reason}]` : "";
    console.log(`${p.name}@${p.version}\t${p.licence}\t${p.verdict}\t${p.workspaces.join(",")}${note}`);
  }
}
if (problems.length > 0) {
  for (const line of problems) console.error(line);
  console.error(`licences: ${problems.length} problem(s); the policy is in docs/licences.md`);
  process.exit(1);
}
const excepted = packages.filter((p) => p.exception !== undefined).length;
console.log(
  `licences: ${packages.length} production packages of ${SHIPPED_WORKSPACES.length} shipped workspaces can ship under Apache-2.0` +
    (excepted > 0 ? ` (${excepted} by reviewed exception)` : ""),
);
