/**
 * Loaded before every test file (bunfig.toml): hooks that span the whole
 * `bun test` process. Its afterAll runs once, after the last file.
 */
import { afterAll } from "bun:test";
import { removeTestJournal } from "./helpers.ts";

afterAll(removeTestJournal);
