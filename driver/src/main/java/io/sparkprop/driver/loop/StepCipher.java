package io.sparkprop.driver.loop;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One direction of a {@link StepChannel} connection sealed with AES-GCM (the JDK's, with the
 * CPU's AES and carry-less multiply instructions), for clusters whose Spark RPC is encrypted:
 * every message is encrypted and authenticated, so a step's weights and gradients are as private
 * as Spark's own traffic and nothing on the path can alter, replay or reorder them unnoticed.
 *
 * <p>Keys: the driver draws a random 256-bit key per run, which reaches the tasks inside their
 * closure, so over Spark's encrypted RPC. Each direction's key is derived from it with
 * HMAC-SHA256 ({@link #derive}): the driver's messages of a stream under the stream's number (one
 * ciphertext for all of the stream's tasks), a task's messages under its stream's number and its
 * attempt's id (unique in the application). Nonces are a message counter per key, never sent:
 * both ends count, so a message dropped, repeated or reordered fails its tag. A key never sees a
 * counter twice: each stream's number and each task attempt's id are used once.
 */
final class StepCipher {
  static final int TAG_BYTES = 16;
  private static final String DOWN = "sparkprop step stream: driver to tasks";
  private static final String UP = "sparkprop step stream: task to driver";

  private final SecretKeySpec key;
  private final Cipher cipher;
  private final byte[] nonce = new byte[12];
  private long counter;

  private StepCipher(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
    try {
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no AES/GCM", e);
    }
  }

  /** The driver's messages to the tasks of stream {@code stream}. */
  static StepCipher down(byte[] master, long stream) {
    return new StepCipher(derive(master, DOWN, stream, 0));
  }

  /** The messages of task attempt {@code attempt} of stream {@code stream} to the driver. */
  static StepCipher up(byte[] master, long stream, long attempt) {
    return new StepCipher(derive(master, UP, stream, attempt));
  }

  /** HMAC-SHA256 of (purpose, stream, attempt) under the master key. */
  static byte[] derive(byte[] master, String purpose, long stream, long attempt) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(master, "HmacSHA256"));
      mac.update(purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      mac.update(ByteBuffer.allocate(16).putLong(stream).putLong(attempt).array());
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no HmacSHA256", e);
    }
  }

  /** The sealed length of a message of {@code len} bytes. */
  static int sealedLength(int len) {
    return len + TAG_BYTES;
  }

  /** Seals the next message, {@code in[0..len)}, into {@code out} (at least {@link #sealedLength} bytes); returns its length. */
  int seal(byte[] in, int len, byte[] out) {
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, next());
      return cipher.doFinal(in, 0, len, out, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("sealing a step message", e);
    }
  }

  /**
   * Opens the next message, {@code in[0..len)}, into {@code out} (at least {@code len - TAG_BYTES}
   * bytes); returns the message's length.
   *
   * @throws IOException when the message is not the next one this key sealed (altered, replayed,
   *     reordered, or sealed under another key)
   */
  int open(byte[] in, int len, byte[] out) throws IOException {
    if (len < TAG_BYTES) throw new IOException("a sealed step message of " + len + " bytes");
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, next());
      return cipher.doFinal(in, 0, len, out, 0);
    } catch (AEADBadTagException e) {
      throw new IOException("a step message failed its authentication: altered, out of order, or not from this run", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("opening a step message", e);
    }
  }

  private GCMParameterSpec next() {
    ByteBuffer.wrap(nonce).putInt(0).putLong(counter++);
    return new GCMParameterSpec(8 * TAG_BYTES, nonce);
  }
}
