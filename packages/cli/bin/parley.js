#!/usr/bin/env node
// Launcher: Node >= 22.18 runs the TypeScript sources directly (type stripping).
import { main } from "../src/main.ts";

const code = await main(process.argv.slice(2));
// Exit explicitly: open handles (database pools, sockets) must not keep a
// finished command alive. stdout/stderr writes to files and pipes are synchronous.
process.exit(code);
