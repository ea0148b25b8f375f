// The console's amount conversion, run by node from tests/console/test_amounts.py: every case
// prints one line "ok" or "FAIL ..." and the exit status is the number of failures.
import { addMicros, chargeMicros, fromMicros, toMicros } from "../../services/gateway/console/amounts.js";

let failures = 0;
function expect(label, actual, wanted) {
  const ok = actual === wanted;
  if (!ok) failures += 1;
  console.log(ok ? `ok ${label}` : `FAIL ${label}: got ${JSON.stringify(actual)}, wanted ${JSON.stringify(wanted)}`);
}
function refused(label, action) {
  try {
    const got = action();
    failures += 1;
    console.log(`FAIL ${label}: accepted as ${JSON.stringify(got)}`);
  } catch (error) {
    console.log(`ok ${label} (${error.message})`);
  }
}

expect("whole", toMicros("25"), "25000000");
expect("cents", toMicros("25.50"), "25500000");
expect("0.1 + 0.2 is exact", addMicros(toMicros("0.1"), toMicros("0.2")), "300000");
expect("leading point", toMicros(".5"), "500000");
expect("trailing point", toMicros("7."), "7000000");
expect("leading zeros", toMicros("000012.340"), "12340000");
expect("micro", toMicros("0.000001"), "1");
expect("spaces trimmed", toMicros("  3.25 "), "3250000");
expect("large exact", toMicros("9999999999.999999"), "9999999999999999");
expect("19.99 (1999.0000000000002 as a float)", toMicros("19.99"), "19990000");
expect("USD charge", chargeMicros("40.10", "USD"), "40100000");
expect("JPY charge", chargeMicros("1500", "JPY"), "1500000000");
expect("zero when allowed", toMicros("0", { allowZero: true }), "0");
expect("back to text", fromMicros("40100000", "USD"), "40.10");
expect("back to text, micros", fromMicros("1", "USD"), "0.000001");
expect("back to text, whole", fromMicros("2000000", "USD"), "2.00");
expect("back to text, JPY", fromMicros("1500000000", "JPY"), "1500");
expect("round trip", fromMicros(toMicros("123.456789")), "123.456789");
refused("zero", () => toMicros("0"));
refused("negative", () => toMicros("-5"));
refused("exponent", () => toMicros("1e3"));
refused("grouping", () => toMicros("1,000"));
refused("empty", () => toMicros(""));
refused("seven decimals", () => toMicros("0.0000001"));
refused("USD fraction of a cent", () => chargeMicros("10.005", "USD"));
refused("JPY decimals", () => chargeMicros("10.5", "JPY"));
refused("too large", () => toMicros("12345678901"));
refused("words", () => toMicros("ten"));
process.exit(failures);
