// Amounts typed as decimal text, converted to integer micros by string arithmetic: no
// floating point ever touches money. Micros travel as decimal strings (int64 in JSON).

export const MICROS_DIGITS = 6;
// Digits after the point a card is charged in, by currency (ISO 4217 minor units).
const MINOR_DIGITS = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, BHD: 3, KWD: 3, OMR: 3, JOD: 3, TND: 3 };
// The largest amount a console form accepts: 1,000,000,000.000000 (well inside int64).
export const MAX_WHOLE_DIGITS = 10;

export class AmountError extends Error {}

export function minorDigits(currency) {
  return Object.hasOwn(MINOR_DIGITS, currency) ? MINOR_DIGITS[currency] : 2;
}

// "12.5" → "12500000". Refuses signs, exponents, grouping and more decimals than `digits`.
export function toMicros(text, { digits = MICROS_DIGITS, allowZero = false } = {}) {
  const typed = String(text ?? "").trim();
  const match = /^(\d+)(?:\.(\d*))?$/.exec(typed) || /^()\.(\d+)$/.exec(typed);
  if (!match) throw new AmountError("enter an amount such as 25 or 25.50");
  const whole = match[1].replace(/^0+(?=\d)/, "") || "0";
  const fraction = match[2] || "";
  if (whole.length > MAX_WHOLE_DIGITS) throw new AmountError("the amount is too large");
  if (fraction.length > digits) {
    throw new AmountError(digits === 0 ? "enter a whole amount" : `use at most ${digits} decimals`);
  }
  const micros = (whole + fraction.padEnd(MICROS_DIGITS, "0")).replace(/^0+(?=\d)/, "");
  if (!allowZero && micros === "0") throw new AmountError("enter an amount above zero");
  return micros;
}

// What a card can be charged: whole minor units of the currency (2 decimals for USD).
export function chargeMicros(text, currency, options = {}) {
  return toMicros(text, { ...options, digits: minorDigits(currency) });
}

// "12500000" → "12.50" (at least the currency's minor digits, never fewer than needed).
export function fromMicros(micros, currency = "USD") {
  const digits = String(micros ?? "0");
  const negative = digits.startsWith("-");
  const plain = (negative ? digits.slice(1) : digits).padStart(MICROS_DIGITS + 1, "0");
  if (!/^\d+$/.test(plain)) throw new AmountError(`not a micros amount: ${micros}`);
  const whole = plain.slice(0, -MICROS_DIGITS).replace(/^0+(?=\d)/, "");
  let fraction = plain.slice(-MICROS_DIGITS).replace(/0+$/, "");
  fraction = fraction.padEnd(minorDigits(currency), "0");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

// Sum of micros strings, exactly (BigInt), as a string.
export function addMicros(...values) {
  return values.reduce((total, value) => total + BigInt(value || 0), 0n).toString();
}
