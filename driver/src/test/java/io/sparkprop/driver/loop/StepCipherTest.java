package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The sealed channel's messages: they round-trip, they are not the plain bytes, and a message
 * altered, replayed, reordered or sealed under another stream's or attempt's key fails; checked
 * against the JDK's AES-GCM and HMAC-SHA256 used directly (the key derivation and nonces the
 * class documents).
 */
class StepCipherTest {
  private static final byte[] MASTER = new byte[32];

  static {
    new SplittableRandom(5).nextBytes(MASTER);
  }

  private static byte[] message(int n, long seed) {
    byte[] m = new byte[n];
    new SplittableRandom(seed).nextBytes(m);
    return m;
  }

  private static byte[] seal(StepCipher c, byte[] m) {
    byte[] out = new byte[StepCipher.sealedLength(m.length)];
    assertEquals(out.length, c.seal(m, m.length, out));
    return out;
  }

  private static byte[] open(StepCipher c, byte[] sealed) throws IOException {
    byte[] out = new byte[sealed.length - StepCipher.TAG_BYTES];
    assertEquals(out.length, c.open(sealed, sealed.length, out));
    return out;
  }

  @Test
  void messagesRoundTrip_inOrder_andAreNotThePlainBytes() throws Exception {
    StepCipher sealer = StepCipher.down(MASTER, 3);
    StepCipher opener = StepCipher.down(MASTER, 3);
    for (int i = 0; i < 5; i++) {
      byte[] m = message(1000 + i, i);
      byte[] s = seal(sealer, m);
      assertFalse(Arrays.equals(m, Arrays.copyOf(s, m.length)), "encrypted");
      assertArrayEquals(m, open(opener, s));
    }
  }

  @Test
  void sealedBytes_areTheJdksAesGcm_underTheDerivedKey_withTheCounterAsNonce() throws Exception {
    byte[] m = message(777, 1);
    StepCipher up = StepCipher.up(MASTER, 4, 91);
    seal(up, new byte[0]); // counter 0: the hello's proof
    byte[] s = seal(up, m); // counter 1
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(MASTER, "HmacSHA256"));
    mac.update("sparkprop step stream: task to driver".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    byte[] key = mac.doFinal(java.nio.ByteBuffer.allocate(16).putLong(4).putLong(91).array());
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    byte[] nonce = java.nio.ByteBuffer.allocate(12).putInt(0).putLong(1).array();
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    assertArrayEquals(m, c.doFinal(s));
  }

  @Test
  void alteredReplayedOrReorderedMessages_fail() throws Exception {
    StepCipher sealer = StepCipher.down(MASTER, 1);
    byte[] a = seal(sealer, message(100, 1));
    byte[] b = seal(sealer, message(100, 2));
    byte[] altered = a.clone();
    altered[17] ^= 1;
    assertThrows(IOException.class, () -> open(StepCipher.down(MASTER, 1), altered), "altered");
    StepCipher replay = StepCipher.down(MASTER, 1);
    open(replay, a);
    assertThrows(IOException.class, () -> open(replay, a), "replayed");
    assertThrows(IOException.class, () -> open(StepCipher.down(MASTER, 1), b), "reordered: b first");
    IOException e = assertThrows(IOException.class, () -> StepCipher.down(MASTER, 1).open(new byte[5], 5, new byte[0]));
    assertTrue(e.getMessage().contains("5 bytes"), e.getMessage());
  }

  @Test
  void everyStreamAndAttempt_hasItsOwnKey() throws Exception {
    byte[] m = message(64, 9);
    byte[] down = seal(StepCipher.down(MASTER, 2), m);
    assertThrows(IOException.class, () -> open(StepCipher.down(MASTER, 3), down), "another stream");
    byte[] up = seal(StepCipher.up(MASTER, 2, 7), m);
    assertThrows(IOException.class, () -> open(StepCipher.up(MASTER, 2, 8), up), "another attempt");
    assertThrows(IOException.class, () -> open(StepCipher.up(MASTER, 3, 7), up), "another stream's attempt");
    assertThrows(IOException.class, () -> open(StepCipher.down(MASTER, 2), up), "the other direction");
    byte[] other = MASTER.clone();
    other[0] ^= 1;
    assertThrows(IOException.class, () -> open(StepCipher.down(other, 2), down), "another run");
    assertArrayEquals(m, open(StepCipher.down(MASTER, 2), down), "every task of a stream opens the driver's one ciphertext");
  }
}
