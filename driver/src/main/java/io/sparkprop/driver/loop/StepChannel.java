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
 * closed unread, as is one from a task of another stream. The bytes themselves are not
 * encrypted: {@link StepStream} does not stream where Spark's RPC encryption is on.
 *
 * <p>Wire form, big-endian (java.io.Data streams): the task's hello is the token (two longs), its
 * stream's number (long) and its index in the stream's job (int); then per step the driver sends
 * the global step (long) and the weights (int length, little-endian float32 bytes), the task
 * answers with one result per partition of its group ({@link StreamGroups}), in partition order
 * (each an int length and bytes); a step of -2 asks for the evaluation of the task's validation
 * blocks under the weights sent with it, and -1 ends the task. Reads wait in slices of
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
  private final String host;

  private StepChannel(ServerSocket server, String host, long tokenHi, long tokenLo) {
    this.server = server;
    this.host = host;
    this.tokenHi = tokenHi;
    this.tokenLo = tokenLo;
  }

  /**
   * Listens on {@code bindAddress} (a free port) for tasks that will connect to
   * {@code advertisedHost}, the name executors know the driver by ({@code spark.driver.host}).
   */
  static StepChannel open(String bindAddress, String advertisedHost) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), 0));
    s.setSoTimeout(POLL_MILLIS);
    SecureRandom r = new SecureRandom();
    return new StepChannel(s, advertisedHost, r.nextLong(), r.nextLong());
  }

  /** Where the tasks of stream {@code stream} connect, and the proof they send. */
  Address address(long stream) {
    return new Address(host, server.getLocalPort(), tokenHi, tokenLo, stream);
  }

  /**
   * What a task needs to reach the channel; travels in the task's closure. The stream's number
   * tells the driver which job a task belongs to: a task of a cancelled stream may still connect
   * later.
   */
  record Address(String host, int port, long tokenHi, long tokenLo, long stream) implements java.io.Serializable {}

  /** One task's connection, as the driver sees it. */
  static final class Peer implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    final int task;

    Peer(Socket socket, DataInputStream in, DataOutputStream out, int task) {
      this.socket = socket;
      this.in = in;
      this.out = out;
      this.task = task;
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
      if (in.readLong() != tokenHi || in.readLong() != tokenLo) throw new IOException("wrong token");
      if (in.readLong() != stream) throw new IOException("a task of another stream");
      int task = in.readInt();
      if (task < 0 || task >= tasks) throw new IOException("task " + task + " of " + tasks);
      s.setSoTimeout(POLL_MILLIS);
      return new Peer(s, in, new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16)), task);
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
