package io.sparkprop.datasets;

/**
 * {@link Float#parseFloat} for the text readers, bit for bit, with a fast path for plain decimals.
 *
 * <p>{@code Float.parseFloat} rounds correctly but takes its slow path (a big-integer correction
 * loop, {@code FDBigInteger}) for any value of more than 7 significant digits, which is what a
 * float printed in its shortest form usually has ({@code 0.87058824}): JFR put half of the CPU of
 * loading Fashion-MNIST's CSV copy in it. The fast path is Clinger's: a decimal of at most 15
 * significant digits {@code w} (so {@code w < 2^53}) and a power of ten {@code 10^k} with
 * {@code |k| <= 22} (exact in a double) give the correctly rounded double {@code D} of the value
 * by one multiplication or division. Rounding {@code D} to float rounds the value to the same float
 * unless {@code D} lies exactly halfway between two floats (rounding is monotonic and every float
 * midpoint is a double, so {@code D} and the value lie on the same side of every other midpoint);
 * that case, and everything else (more digits, larger exponents, whitespace, type suffixes,
 * NaN, infinities, hexadecimal, malformed text), goes to {@code Float.parseFloat}, which
 * also throws the same {@link NumberFormatException}. In the fast path's range the value lies
 * between 1e-22 and 1e37 in magnitude, far from float overflow and subnormals.
 */
final class Decimals {
  private static final double[] POW10 = new double[23];

  static {
    double p = 1;
    for (int i = 0; i < POW10.length; i++, p *= 10) POW10[i] = p; // exact up to 10^22
  }

  private Decimals() {}

  /** {@code Float.parseFloat(s)}, bit for bit, including its exceptions. */
  static float parseFloat(String s) {
    float f = fast(s);
    return f == f ? f : Float.parseFloat(s);
  }

  /** The float of a plain decimal ({@code [+-]digits[.digits][(e|E)[+-]digits]}) when the fast path decides it, else NaN. */
  static float fast(String s) {
    int n = s.length();
    int i = 0;
    boolean negative = false;
    if (n > 0 && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      negative = s.charAt(0) == '-';
      i = 1;
    }
    long w = 0; // the significant digits, without leading zeros
    int digits = 0;
    int fraction = 0; // digits after the point, leading zeros included
    boolean point = false;
    boolean any = false;
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        any = true;
        if (point) fraction++;
        if (w == 0 && c == '0') continue;
        if (++digits > 15) return Float.NaN;
        w = w * 10 + (c - '0');
      } else if (c == '.' && !point) {
        point = true;
      } else {
        break;
      }
    }
    if (!any) return Float.NaN;
    int exponent = 0;
    if (i < n) {
      char c = s.charAt(i++);
      if (c != 'e' && c != 'E') return Float.NaN;
      boolean down = false;
      if (i < n && (s.charAt(i) == '-' || s.charAt(i) == '+')) down = s.charAt(i++) == '-';
      if (i == n) return Float.NaN;
      for (; i < n; i++) {
        c = s.charAt(i);
        if (c < '0' || c > '9' || exponent > 100_000) return Float.NaN;
        exponent = exponent * 10 + (c - '0');
      }
      if (down) exponent = -exponent;
    }
    double d;
    if (w == 0) {
      d = 0;
    } else {
      int k = exponent - fraction;
      if (k >= 0 && k <= 22) d = w * POW10[k];
      else if (k < 0 && k >= -22) d = w / POW10[-k];
      else return Float.NaN;
    }
    if (negative) d = -d;
    float f = (float) d;
    if (f != d) {
      float other = d > f ? Math.nextUp(f) : Math.nextDown(f);
      if (((double) f + other) * 0.5 == d) return Float.NaN; // exactly halfway between two floats: rounded twice
    }
    return f;
  }
}
