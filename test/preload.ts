/**
 * Loaded before every test file (bunfig.toml): hooks that span the whole
 * `bun test` process. Its afterAll runs once, after the last file.
 */
import { afterAll } from "bun:test";
import { removeTestJournal } from "./helpers.ts";
import { loadAllKinds } from "../src/steps/index.ts";

afterAll(removeTestJournal);
// Tests call the parser and the kinds directly (the CLI loads a file's kinds before parsing it).
await loadAllKinds();
