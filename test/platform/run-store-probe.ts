/**
 * The SQLite run store under the runtime running this file (run by
 * src/serve/run-store.test.ts under Deno): admit, claim, finish, reopen.
 * Prints one JSON line of what it saw.
 */
import { SqlRunStore } from "../../src/serve/run-store.ts";

const dir = (globalThis as unknown as { Deno?: { args: string[] } }).Deno?.args[0] ?? process.argv[2]!;
const dispatch = { runId: "d1", workflow: "deploy", stack: "dev", callbackUrl: "https://ci.example/cb" };
const state = { runId: "d1", status: "queued", workflow: "deploy", stack: "dev", createdAt: "2026-11-01T00:00:00.000Z", startedAt: null, finishedAt: null, exitCode: null, error: null, callback: null, runner: null } as const;
const store = await SqlRunStore.openSqlite(dir);
const admitted = await store.admit({ dispatch, state: { ...state } }, { queueSize: 1, queuePerStack: 1, slotFree: true });
const claimed = await store.claim("probe", 30_000);
const finished = await store.finish("d1", "probe", { status: "succeeded", exitCode: 0, error: null });
await store.close();
const again = await SqlRunStore.openSqlite(dir);
const found = await again.find("d1");
await again.close();
console.log(JSON.stringify({ admitted: admitted.kind, claimed: claimed?.state.status, finished, found: found?.state.status, runner: found?.state.runner }));
