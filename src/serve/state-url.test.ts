import { expect, test } from "bun:test";
import { redactUrl, urlSecrets } from "./state-url.ts";

const cases: Array<[string, string, string]> = [
  ["postgres://muster:s3cret-pw@db:5432/muster", "postgres://muster:…@db:5432/muster", "s3cret-pw"],
  ["postgres://muster:pa/ss-SECRET@127.0.0.1:1/muster", "postgres://muster:…@127.0.0.1:1/muster", "pa/ss-SECRET"],
  ["postgres://muster:p@ss@db:5432/muster", "postgres://muster:…@db:5432/muster", "p@ss"],
  ["postgres://muster:a:b%zz@db/muster", "postgres://muster:…@db/muster", "a:b%zz"],
  ["postgres://db:5432/muster?password=s3cret-param", "postgres://db:5432/muster?password=…", "s3cret-param"],
  ["postgres://u@db/muster?sslmode=require&sslpassword=key-pass-9", "postgres://u@db/muster?sslmode=require&sslpassword=…", "key-pass-9"],
  // An '@' in the query is not the end of the userinfo.
  ["postgres://muster:s3cret-q@db:5432/muster?application_name=a@b", "postgres://muster:…@db:5432/muster?application_name=a@b", "s3cret-q"],
  ["postgres://muster:s3cret-f@db/muster#frag@x", "postgres://muster:…@db/muster#frag@x", "s3cret-f"],
  // A '?' in the password itself (malformed): still hidden.
  ["postgres://muster:pa?ss-SECRET@db/muster", "postgres://muster:…@db/muster", "pa?ss-SECRET"],
  // key=value form (refused as a state URL, but shown in that refusal).
  ["host=db user=m password=s3cret-kv dbname=m", "host=db user=m password=… dbname=m", "s3cret-kv"],
];

test("redactUrl leaves no password, whatever it holds and whether or not the URL parses", () => {
  for (const [url, shown, password] of cases) {
    expect(redactUrl(url)).toBe(shown);
    expect(redactUrl(url)).not.toContain(password);
    expect(urlSecrets(url)).toContain(password);
  }
  expect(urlSecrets("postgres://muster:s%40cret%2Fpw@db/muster")).toEqual(["s%40cret%2Fpw", "s@cret/pw"]);
  expect(redactUrl("postgres://db/muster")).toBe("postgres://db/muster");
  expect(urlSecrets("postgres://db/muster")).toEqual([]);
});
