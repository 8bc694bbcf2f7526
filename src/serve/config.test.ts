import { expect, test } from "bun:test";
import { loadServeConfig } from "./config.ts";

const base = { RUNNER_AUTH_TOKEN: "0123456789abcdef0123", ATMOS_REPO_URL: "https://git.example.com/infra.git" };

test("defaults", () => {
  const config = loadServeConfig(base);
  expect(config).toMatchObject({ port: 8080, repoBranch: "main", concurrency: 2, logFormat: "text", tokens: ["0123456789abcdef0123"] });
});

test("every problem names its variable", () => {
  expect(() => loadServeConfig({})).toThrow("RUNNER_AUTH_TOKEN: is required");
  expect(() => loadServeConfig({ ...base, RUNNER_AUTH_TOKEN: "short" })).toThrow("RUNNER_AUTH_TOKEN: each token must be at least 16 characters");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_URL: "" })).toThrow("ATMOS_REPO_URL: is required");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_URL: "ext::sh -c touch% /tmp/x" })).toThrow("ATMOS_REPO_URL: unsupported URL");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_URL: "file:///etc" })).toThrow("ATMOS_REPO_URL: unsupported URL");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_BRANCH: "--upload-pack=x" })).toThrow("ATMOS_REPO_BRANCH: invalid branch");
  expect(() => loadServeConfig({ ...base, ATMOS_REPO_URL: "git@github.com:org/repo.git" })).toThrow("ATMOS_REPO_KNOWN_HOSTS: is required");
  expect(() => loadServeConfig({ ...base, PORT: "http" })).toThrow('PORT: must be a whole number from 0 to 65535: current value is "http"');
  expect(() => loadServeConfig({ ...base, MUSTER_SHUTDOWN_GRACE: "soon" })).toThrow("MUSTER_SHUTDOWN_GRACE");
  expect(() => loadServeConfig({ ...base, LOG_FORMAT: "xml" })).toThrow("LOG_FORMAT");
});

test("several tokens for rotation", () => {
  expect(loadServeConfig({ ...base, RUNNER_AUTH_TOKEN: "aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb" }).tokens).toEqual(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]);
});
