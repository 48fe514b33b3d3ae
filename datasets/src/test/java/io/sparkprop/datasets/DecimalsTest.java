package io.sparkprop.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Decimals#parseFloat} against the JDK's {@link Float#parseFloat}, bit for bit, exceptions included. */
class DecimalsTest {
  @Test
  void shortestFormsOfRandomFloats() {
    SplittableRandom r = new SplittableRandom(1);
    int fast = 0;
    for (int i = 0; i < 300_000; i++) {
      float f = i % 2 == 0 ? Float.intBitsToFloat(r.nextInt()) : (float) r.nextDouble(); // all magnitudes; pixels in [0, 1)
      if (Float.isNaN(f)) continue;
      String s = Float.toString(f);
      same(s);
      if (!Float.isNaN(Decimals.fast(s))) fast++;
    }
    assertTrue(fast > 140_000, "the fast path decided only " + fast + " of 300,000"); // the [0, 1) half, at least
  }

  @Test
  void decimalsOfEveryLengthAndScale() {
    SplittableRandom r = new SplittableRandom(2);
    for (int i = 0; i < 300_000; i++) {
      int digits = 1 + r.nextInt(18);
      StringBuilder w = new StringBuilder();
      for (int d = 0; d < digits; d++) w.append((char) ('0' + r.nextInt(10)));
      int point = r.nextInt(digits + 1);
      String plain = (r.nextBoolean() ? "-" : "") + w.substring(0, point) + "." + w.substring(point);
      same(plain);
      same(plain + (r.nextBoolean() ? "e" : "E") + (r.nextInt(61) - 30));
      same(w + "e-" + r.nextInt(40));
      same("0.000" + w);
    }
  }

  /** Decimals of 15 significant digits or fewer at, just above and just below the midpoint of two neighbouring floats. */
  @Test
  void nearMidpointsBetweenFloats() {
    SplittableRandom r = new SplittableRandom(3);
    int midpointsHit = 0;
    for (int i = 0; i < 100_000; i++) {
      float f = i % 3 == 0 ? (float) (r.nextInt(1 << 24)) : Float.intBitsToFloat(0x2000_0000 + r.nextInt(0x3A00_0000));
      BigDecimal mid = new BigDecimal(f).add(new BigDecimal(Math.nextUp(f))).divide(BigDecimal.valueOf(2));
      for (int p = 8; p <= 15; p++) {
        BigDecimal m = mid.round(new MathContext(p, RoundingMode.HALF_EVEN));
        BigDecimal ulp = m.ulp();
        for (BigDecimal x : new BigDecimal[] {m, m.add(ulp), m.subtract(ulp)}) {
          same(x.toString());
          same(x.toPlainString());
        }
        if (m.compareTo(mid) == 0) midpointsHit++;
      }
      if (mid.precision() <= 15) {
        midpointsHit++;
        same(mid.toPlainString());
        assertTrue(Float.isNaN(Decimals.fast(mid.toPlainString())), "an exact midpoint must go to the JDK: " + mid.toPlainString());
      }
    }
    assertTrue(midpointsHit > 1000, "few exact midpoints tried: " + midpointsHit);
  }

  @Test
  void syntaxTheJdkAcceptsOrRefuses() {
    List<String> cases = new ArrayList<>(List.of("", "-", "+", ".", "-.", "1.", ".5", "-.5", "+1", "-0", "-0.0", "+0", "0", "000", "00012.5",
        "1e5", "1E-5", "1e+5", "1e", "1e-", "1e+", "e5", ".e5", " 1", "1 ", "\t1", "1f", "1.5d", "1.5F", "NaN", "-Infinity",
        "Infinity", "0x1p3", "1..2", "1e5.5", "1e5e5", "1e99999", "1e-99999", "1e999999999999", "0e999999999999",
        "123456789012345", "1234567890123456", "0.000000000000000000000001", "1e22", "1e23", "1e-22", "1e-23",
        "999999999999999e22", "999999999999999e-22", "0.87058824", "0.003921569", "255", "3.4028235e38", "1.4e-45",
        "--1", "+-1", "1-", "١", "1_000", "0.1e1e1"));
    for (String s : cases) same(s);
    assertFalse(Float.isNaN(Decimals.fast("0.87058824")), "the fast path takes a shortest-form pixel");
    assertTrue(Float.isNaN(Decimals.fast("1234567890123456")), "16 significant digits go to the JDK");
    assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(Decimals.parseFloat("-0.000")));
  }

  static void same(String s) {
    float want;
    try {
      want = Float.parseFloat(s);
    } catch (NumberFormatException e) {
      try {
        float got = Decimals.parseFloat(s);
        fail("'" + s + "': the JDK throws " + e.getMessage() + ", Decimals gave " + got);
      } catch (NumberFormatException expected) {
        assertEquals(e.getMessage(), expected.getMessage(), s);
      }
      return;
    }
    float got = Decimals.parseFloat(s);
    if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) {
      fail("'" + s + "': JDK " + want + " (" + Integer.toHexString(Float.floatToRawIntBits(want)) + "), Decimals " + got
          + " (" + Integer.toHexString(Float.floatToRawIntBits(got)) + ")");
    }
  }
}
