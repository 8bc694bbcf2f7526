/**
 * muster's version and the git commit it was built from. The build script
 * defines `MUSTER_VERSION` and `MUSTER_COMMIT`; from source they fall back
 * to package.json and "source".
 * @module
 */
import pkg from "../package.json" with { type: "json" };

declare const MUSTER_VERSION: string | undefined;
declare const MUSTER_COMMIT: string | undefined;

/** The release version, e.g. "0.1.0". */
export const VERSION: string = typeof MUSTER_VERSION === "string" ? MUSTER_VERSION : pkg.version;
/** The short git commit of the build, or "source" when run from source. */
export const COMMIT: string = typeof MUSTER_COMMIT === "string" ? MUSTER_COMMIT : "source";
