package io.sparkprop.driver.loop;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.function.BooleanSupplier;

/**
 * The driver's end of a {@link StepStream}: a TCP server on the driver's host that the tasks of a
 * stream connect to, one connection per task, for the length of the stream. Every step the driver
 * writes the step's index and weights to each task and reads each task's {@link StepResult} back,
 * in partition order. Nothing else crosses it.
 *
 * <p>A connection proves itself with the run's random token, which reaches the tasks inside
 * their closure, so over Spark's own (possibly authenticated) RPC; a connection without it is
 * closed unread, as is one from a task of another stream. Where Spark's RPC is encrypted the
 * channel is sealed ({@link StepCipher}): the run's key travels in the closure instead of the
 * token, every message is encrypted and authenticated, and a connection proves itself with a
 * sealed empty message.
 *
 * <p>Wire form, big-endian (java.io.Data streams): the task's hello is the token (two longs; zeros
 * when sealed), its stream's number (long), its index in the stream's job (int) and its attempt's
 * id (long), then, when sealed, the proof ({@link StepCipher#TAG_BYTES} bytes). Then messages,
 * each an int length and that many bytes (sealed, when the channel is): per step the driver sends
 * the global step (long) and the weights (little-endian float32 bytes), the task answers with one
 * result per partition of its group ({@link StreamGroups}), in partition order; a step of -2
 * asks for the evaluation of the task's validation blocks under the weights sent with it, and -1
 * (with no weights) ends the task. Reads wait in slices of
 * {@link #POLL_MILLIS}, asking between slices whether to go on (the stream's job may have
 * failed, the task been cancelled).
 */
final class StepChannel implements AutoCloseable {
  static final int POLL_MILLIS = 250;
  static final long END = -1;
  static final long EVALUATE = -2;

  private final ServerSocket server;
  private final long tokenHi;
  private final long tokenLo;
  private final byte[] key; // the run's key when sealed, else null
  private final String host;

  private StepChannel(ServerSocket server, String host, long tokenHi, long tokenLo, byte[] key) {
    this.server = server;
    this.host = host;
    this.tokenHi = tokenHi;
    this.tokenLo = tokenLo;
    this.key = key;
  }

  /**
   * Listens on {@code bindAddress} (a free port) for tasks that will connect to
   * {@code advertisedHost}, the name executors know the driver by ({@code spark.driver.host});
   * {@code sealed}: every message encrypted and authenticated ({@link StepCipher}).
   */
  static StepChannel open(String bindAddress, String advertisedHost, boolean sealed) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), 0));
    s.setSoTimeout(POLL_MILLIS);
    SecureRandom r = new SecureRandom();
    byte[] key = null;
    if (sealed) {
      key = new byte[32];
      r.nextBytes(key);
    }
    return new StepChannel(s, advertisedHost, r.nextLong(), r.nextLong(), key);
  }

  /** Whether the channel's messages are sealed. */
  boolean sealed() {
    return key != null;
  }

  /** The sealer of the driver's messages to stream {@code stream}'s tasks, or null when not sealed. */
  StepCipher down(long stream) {
    return key == null ? null : StepCipher.down(key, stream);
  }

  /** Where the tasks of stream {@code stream} connect, and the proof they send (the key, when sealed). */
  Address address(long stream) {
    return key == null ? new Address(host, server.getLocalPort(), tokenHi, tokenLo, stream, null)
        : new Address(host, server.getLocalPort(), 0, 0, stream, key.clone());
  }

  /**
   * What a task needs to reach the channel; travels in the task's closure. The stream's number
   * tells the driver which job a task belongs to: a task of a cancelled stream may still connect
   * later.
   */
  record Address(String host, int port, long tokenHi, long tokenLo, long stream, byte[] key) implements java.io.Serializable {
    /** The sealer of this task attempt's messages, or null when the channel is not sealed. */
    StepCipher up(long attempt) {
      return key == null ? null : StepCipher.up(key, stream, attempt);
    }

    /** The opener of the driver's messages, or null when the channel is not sealed. */
    StepCipher down() {
      return key == null ? null : StepCipher.down(key, stream);
    }
  }

  /** One task's connection, as the driver sees it. */
  static final class Peer implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    final int task;
    final Inbox inbox; // the task's messages, opened when sealed

    Peer(Socket socket, DataInputStream in, DataOutputStream out, int task, StepCipher up) {
      this.socket = socket;
      this.in = in;
      this.out = out;
      this.task = task;
      this.inbox = new Inbox(up);
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing a connection whose task is gone
      }
    }
  }

  /**
   * Accepts connections until every one of {@code tasks} tasks has said hello (a later attempt
   * of a task replaces the earlier one), or returns null when {@code goOn} says stop
   * or {@code deadlineNanos} passes. The caller closes the peers.
   */
  Peer[] accept(long stream, int tasks, long deadlineNanos, BooleanSupplier goOn) throws IOException {
    Peer[] peers = new Peer[tasks];
    int joined = 0;
    while (joined < tasks) {
      if (!goOn.getAsBoolean() || System.nanoTime() > deadlineNanos) {
        for (Peer p : peers) if (p != null) p.close();
        return null;
      }
      Socket s;
      try {
        s = server.accept();
      } catch (SocketTimeoutException e) {
        continue;
      }
      Peer p = hello(s, stream, tasks);
      if (p == null) continue;
      if (peers[p.task] != null) peers[p.task].close();
      else joined++;
      peers[p.task] = p;
    }
    return peers;
  }

  private Peer hello(Socket s, long stream, int tasks) {
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(10_000);
      DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
      long hi = in.readLong();
      long lo = in.readLong();
      if (key == null && (hi != tokenHi || lo != tokenLo)) throw new IOException("wrong token");
      if (in.readLong() != stream) throw new IOException("a task of another stream");
      int task = in.readInt();
      if (task < 0 || task >= tasks) throw new IOException("task " + task + " of " + tasks);
      long attempt = in.readLong();
      StepCipher up = key == null ? null : StepCipher.up(key, stream, attempt);
      if (up != null) {
        byte[] proof = new byte[StepCipher.TAG_BYTES];
        in.readFully(proof);
        up.open(proof, proof.length, new byte[0]); // throws unless sealed under this run's key
      }
      s.setSoTimeout(POLL_MILLIS);
      return new Peer(s, in, new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16)), task, up);
    } catch (IOException e) {
      try {
        s.close();
      } catch (IOException ignored) {
        // a stranger or a task that died while saying hello
      }
      return null;
    }
  }

  /**
   * Fills {@code b[off..off+len)} from {@code in}, whose socket times out every
   * {@link #POLL_MILLIS}: between timeouts {@code goOn} decides whether to wait on.
   *
   * @throws IOException when the stream ends, fails, or {@code goOn} says stop
   */
  static void readFully(InputStream in, byte[] b, int off, int len, BooleanSupplier goOn) throws IOException {
    while (len > 0) {
      int n;
      try {
        n = in.read(b, off, len);
      } catch (SocketTimeoutException e) {
        if (!goOn.getAsBoolean()) throw new IOException("stopped waiting for the other end", e);
        continue;
      }
      if (n < 0) throw new java.io.EOFException("the other end closed the connection");
      off += n;
      len -= n;
    }
  }

  /** Messages written to one or more connections: each sealed once when the channel is sealed. */
  static final class Outbox {
    private final StepCipher sealer;
    private byte[] sealed = new byte[0];
    private byte[] msg;
    private int len;

    /** {@code sealer}: null for plain messages. */
    Outbox(StepCipher sealer) {
      this.sealer = sealer;
    }

    /** Makes {@code m[0..n)} the message {@link #writeTo} writes (sealed now, when sealed); {@code m} must not change until then. */
    Outbox set(byte[] m, int n) {
      if (sealer == null) {
        msg = m;
        len = n;
      } else {
        if (sealed.length < StepCipher.sealedLength(n)) sealed = new byte[StepCipher.sealedLength(n)];
        len = sealer.seal(m, n, sealed);
        msg = sealed;
      }
      return this;
    }

    /** Writes the message: its length, then its bytes (not flushed). */
    void writeTo(DataOutputStream out) throws IOException {
      out.writeInt(len);
      out.write(msg, 0, len);
    }
  }

  /** Messages read from one connection, opened when the channel is sealed, into a buffer reused by the next read. */
  static final class Inbox {
    private final StepCipher opener;
    private byte[] wire = new byte[0];
    private byte[] plain = new byte[0];
    private final byte[] scratch = new byte[8];

    /** {@code opener}: null for plain messages. */
    Inbox(StepCipher opener) {
      this.opener = opener;
    }

    /**
     * The next message, exactly its length, valid until the next call; reads wait as
     * {@link #readFully} does.
     *
     * @throws IOException when the connection ends or fails, {@code goOn} says stop, or a sealed
     *     message fails its authentication
     */
    byte[] read(InputStream in, BooleanSupplier goOn) throws IOException {
      int n = readInt(in, scratch, goOn);
      if (n < 0 || (opener != null && n < StepCipher.TAG_BYTES)) throw new IOException("a message of " + n + " bytes");
      if (opener == null) {
        if (plain.length != n) plain = new byte[n];
        readFully(in, plain, 0, n, goOn);
        return plain;
      }
      if (wire.length < n) wire = new byte[n];
      readFully(in, wire, 0, n, goOn);
      if (plain.length != n - StepCipher.TAG_BYTES) plain = new byte[n - StepCipher.TAG_BYTES];
      opener.open(wire, n, plain);
      return plain;
    }
  }

  /** A big-endian int or long read with {@link #readFully}. */
  static long readLong(InputStream in, byte[] scratch, BooleanSupplier goOn) throws IOException {
    readFully(in, scratch, 0, 8, goOn);
    return java.nio.ByteBuffer.wrap(scratch, 0, 8).getLong();
  }

  static int readInt(InputStream in, byte[] scratch, BooleanSupplier goOn) throws IOException {
    readFully(in, scratch, 0, 4, goOn);
    return java.nio.ByteBuffer.wrap(scratch, 0, 4).getInt();
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // nothing to release beyond the port
    }
  }
}
