/**
 * The release targets: Bun's compile target and the file name users download.
 */
export const TARGETS = [
  { bun: "bun-linux-x64", file: "muster-linux-x64" },
  { bun: "bun-linux-arm64", file: "muster-linux-arm64" },
  { bun: "bun-linux-x64-musl", file: "muster-linux-x64-musl" },
  { bun: "bun-linux-arm64-musl", file: "muster-linux-arm64-musl" },
  { bun: "bun-darwin-x64", file: "muster-darwin-x64" },
  { bun: "bun-darwin-arm64", file: "muster-darwin-arm64" },
  { bun: "bun-windows-x64", file: "muster-windows-x64.exe" },
] as const;
