package io.sparkprop.driver.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkprop.driver.ml.MlpClassificationModel;
import io.sparkprop.driver.ml.MlpClassifier;
import io.sparkprop.driver.ml.MlpRegressionModel;
import io.sparkprop.driver.ml.MlpRegressor;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.connect.proto.Command;
import org.apache.spark.connect.proto.DataType;
import org.apache.spark.connect.proto.ExecutePlanResponse;
import org.apache.spark.connect.proto.Expression;
import org.apache.spark.connect.proto.Fetch;
import org.apache.spark.connect.proto.MlCommand;
import org.apache.spark.connect.proto.MlCommandResult;
import org.apache.spark.connect.proto.MlOperator;
import org.apache.spark.connect.proto.MlParams;
import org.apache.spark.connect.proto.MlRelation;
import org.apache.spark.connect.proto.ObjectRef;
import org.apache.spark.connect.proto.Relation;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;

/**
 * The estimators over Spark Connect, driven as PySpark drives them: a Spark Connect server in a
 * JVM of its own (Spark's {@code SparkConnectServer}, with the cluster jar on its class path), and
 * from this JVM the {@code MlCommand} and {@code MlRelation} messages PySpark's
 * {@code pyspark.ml} sends for the Python calls in the README, over gRPC. Every result is compared
 * with the same calls made directly in a JVM (a local session in this one).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SparkConnectIT {
  static final String CLASSIFIER = MlpClassifier.class.getName();
  static final String REGRESSOR = MlpRegressor.class.getName();
  static final String REGRESSION_MODEL = MlpRegressionModel.class.getName();
  static final String[] INPUTS = {"x0", "x1", "x2", "x3"};

  Path work;
  Path serverLog;
  Process server;
  org.apache.spark.sql.connect.SparkSession remote;
  org.apache.spark.sql.SparkSession local;
  String csv;

  @BeforeAll
  void start() throws Exception {
    long t0 = System.nanoTime();
    work = Files.createTempDirectory("sparkprop-connect");
    csv = writeData(work.resolve("data.csv"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    serverLog = work.resolve("server.log");
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx1500m"));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("--add-modules")
          || a.startsWith("-Djdk.reflect") || a.startsWith("-Dio.netty")) cmd.add(a);
    }
    cmd.addAll(List.of("-cp", serverClassPath(), "-Dspark.master=local[2]", "-Dspark.app.name=sparkprop-connect-it",
        "-Dspark.ui.enabled=false", "-Dspark.sql.shuffle.partitions=2", "-Dspark.connect.grpc.binding.address=127.0.0.1",
        "-Dspark.connect.grpc.binding.port=" + port,
        "-Dspark.connect.ml.backend.classes=io.sparkprop.driver.ml.ConnectNames", "org.apache.spark.sql.connect.service.SparkConnectServer"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(serverLog.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    server = pb.start();
    awaitPort(port, 180);
    remote = org.apache.spark.sql.connect.SparkSession.builder().remote("sc://127.0.0.1:" + port).create();
    local = org.apache.spark.sql.classic.SparkSession.builder().master("local[2]").appName("sparkprop-connect-it-jvm")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    System.out.printf("Spark Connect server up and both sessions open: %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  @AfterAll
  void stop() throws Exception {
    if (remote != null) remote.close();
    if (local != null) local.stop();
    if (server != null) {
      server.destroy();
      if (!server.waitFor(30, TimeUnit.SECONDS)) server.destroyForcibly();
    }
  }

  @Test
  void classifier_fitTransformAttributesSaveLoad_matchTheJvm() throws Exception {
    long t0 = System.nanoTime();
    // MlpClassifier(layers=[4, 16, 3], maxIter=8, batchSize=32, learningRate=0.01, optimizer="adam",
    //               featureScaling="standard", seed=7).fit(VectorAssembler(...).transform(df))
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("layers", new int[] {4, 16, 3});
    p.put("maxIter", 8);
    p.put("batchSize", 32);
    p.put("learningRate", 0.01);
    p.put("optimizer", "adam");
    p.put("featureScaling", "standard");
    p.put("seed", 7);
    String model = fit(CLASSIFIER, "MlpClassifier_c0ffee", p, assembled());
    MlpClassificationModel jvm = new MlpClassifier().setLayers(new int[] {4, 16, 3}).setMaxIter(8).setBatchSize(32)
        .setLearningRate(0.01).setOptimizer("adam").setFeatureScaling("standard").setSeed(7).fit(assembledLocally());

    List<Row> viaConnect = rows(transform(model, assembled()), "prediction", "probability", "rawPrediction");
    List<Row> direct = rows(jvm.transform(assembledLocally()), "prediction", "probability", "rawPrediction");
    assertSameRows(direct, viaConnect);

    assertEquals(3, fetch(model, "numClasses").getInteger());
    assertEquals(4, fetch(model, "numFeatures").getInteger());
    assertEquals(jvm.toString().replace(jvm.uid(), "UID"), fetch(model, "toString").getString().replaceAll("uid=[^,]+", "uid=UID"));
    assertTrue(fetch(model, "toString").getString().contains("layers=[4, 16, 3]"));
    assertTrue(fetch(model, "hasSummary").getBoolean());
    String summary = ml(MlCommand.newBuilder().setFetch(Fetch.newBuilder().setObjRef(ref(model))
        .addMethods(Fetch.Method.newBuilder().setMethod("summary")))).getSummary();
    assertArrayEquals(jvm.summary().lossHistory(), doubles(fetch(summary, "objectiveHistory")));
    assertEquals(8, fetch(summary, "totalIterations").getInteger());
    assertTrue(fetchFails(model, "weights").contains("weights"), "attributes outside Spark's allow-list stay unreachable");

    // model.write().overwrite().save(path); MlpClassificationModel.load(path) with the class in Python's module sparkprop
    String saved = work.resolve("classifier").toString();
    ml(MlCommand.newBuilder().setWrite(MlCommand.Write.newBuilder().setObjRef(ref(model)).setPath(saved).setShouldOverwrite(true)
        .setParams(MlParams.getDefaultInstance())));
    MlCommandResult.MlOperatorInfo read = ml(MlCommand.newBuilder().setRead(MlCommand.Read.newBuilder().setPath(saved)
        .setOperator(MlOperator.newBuilder().setName("sparkprop.MlpClassificationModel").setType(MlOperator.OperatorType.OPERATOR_TYPE_MODEL))))
        .getOperatorInfo();
    assertEquals("MlpClassifier_c0ffee", read.getUid());
    assertSameRows(direct, rows(transform(read.getObjRef().getId(), assembled()), "prediction", "probability", "rawPrediction"));
    MlpClassificationModel loadedHere = MlpClassificationModel.load(saved);
    assertArrayEquals(jvm.weights(), loadedHere.weights());
    System.out.printf("classifier over Spark Connect (fit, transform, 7 attributes, save, load): %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  @Test
  void regressor_fitAndTransform_matchTheJvm() {
    long t0 = System.nanoTime();
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("layers", new int[] {4, 8, 1});
    p.put("maxIter", 5);
    p.put("batchSize", 64);
    p.put("learningRate", 0.01);
    p.put("labelCol", "y");
    p.put("seed", 3);
    String model = fit(REGRESSOR, "MlpRegressor_beef", p, assembled());
    MlpRegressionModel jvm = new MlpRegressor().setLayers(new int[] {4, 8, 1}).setMaxIter(5).setBatchSize(64).setLearningRate(0.01)
        .setSeed(3).setLabelCol("y").fit(assembledLocally());
    assertSameRows(rows(jvm.transform(assembledLocally()), "prediction"),
        rows(transform(model, Map.of("labelCol", "y"), assembled()), "prediction"));
    assertEquals(4, fetch(model, "numFeatures").getInteger());
    String saved = work.resolve("regressor").toString();
    ml(MlCommand.newBuilder().setWrite(MlCommand.Write.newBuilder().setObjRef(ref(model)).setPath(saved).setShouldOverwrite(true)
        .setParams(MlParams.getDefaultInstance())));
    assertArrayEquals(jvm.weights(), MlpRegressionModel.load(saved).weights());
    // a JVM client's MlpRegressionModel.load(path): the class's own name
    String read = ml(MlCommand.newBuilder().setRead(MlCommand.Read.newBuilder().setPath(saved)
        .setOperator(MlOperator.newBuilder().setName(REGRESSION_MODEL).setType(MlOperator.OperatorType.OPERATOR_TYPE_MODEL))))
        .getOperatorInfo().getObjRef().getId();
    assertSameRows(rows(jvm.transform(assembledLocally()), "prediction"),
        rows(transform(read, Map.of("labelCol", "y"), assembled()), "prediction"));
    System.out.printf("regressor over Spark Connect: %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  /**
   * Pipeline(stages=[VectorAssembler, StandardScaler, MlpClassifier]).fit(df): PySpark's Pipeline
   * runs client-side, one message per stage (a transform, a fit, a transform by reference, a fit).
   */
  @Test
  void pipeline_withVectorAssemblerAndStandardScaler_matchesTheJvmPipeline() {
    long t0 = System.nanoTime();
    Relation raw = remote.read().schema(SCHEMA).option("header", "true").csv(csv).plan().getRoot();
    Relation assembledRel = transformWith("org.apache.spark.ml.feature.VectorAssembler", "VectorAssembler_1",
        Map.of("inputCols", INPUTS, "outputCol", "raw"), raw);
    String scaler = fit("org.apache.spark.ml.feature.StandardScaler", "StandardScaler_1",
        Map.of("inputCol", "raw", "outputCol", "features", "withMean", true), assembledRel);
    Relation scaled = transform(scaler, Map.of("inputCol", "raw", "outputCol", "features", "withMean", true), assembledRel);
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("layers", new int[] {4, 12, 3});
    p.put("maxIter", 6);
    p.put("batchSize", 48);
    p.put("learningRate", 0.02);
    p.put("activation", "tanh");
    p.put("seed", 11);
    String mlp = fit(CLASSIFIER, "MlpClassifier_pipe", p, scaled);
    List<Row> viaConnect = rows(transform(mlp, scaled), "prediction", "probability");

    PipelineModel jvm = new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(INPUTS).setOutputCol("raw"),
        new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true),
        new MlpClassifier().setLayers(new int[] {4, 12, 3}).setMaxIter(6).setBatchSize(48).setLearningRate(0.02).setActivation("tanh")
            .setSeed(11)}).fit(localData());
    assertSameRows(rows(jvm.transform(localData()), "prediction", "probability"), viaConnect);
    System.out.printf("pipeline over Spark Connect: %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  @Test
  void badParamsAndBadData_getTheJvmsMessages_notAServerStackTrace() {
    String jvmOptimizer = assertThrows(IllegalArgumentException.class, () -> new MlpClassifier().setOptimizer("adamm")).getMessage();
    assertTrue(jvmOptimizer.contains("optimizer = \"adamm\""), jvmOptimizer);
    assertClear(fitFails(Map.of("layers", new int[] {4, 8, 3}, "optimizer", "adamm")), jvmOptimizer);

    String jvmBatch = assertThrows(IllegalArgumentException.class, () -> new MlpClassifier().setBatchSize(0)).getMessage();
    assertTrue(jvmBatch.contains("batchSize = 0"), jvmBatch);
    assertClear(fitFails(Map.of("layers", new int[] {4, 8, 3}, "batchSize", 0)), jvmBatch);

    String jvmLayers = assertThrows(IllegalArgumentException.class,
        () -> new MlpClassifier().setLayers(new int[] {5, 8, 3}).setMaxIter(1).fit(assembledLocally())).getMessage();
    assertTrue(jvmLayers.contains("start with 5 inputs but the features column has 4"), jvmLayers);
    assertClear(fitFails(Map.of("layers", new int[] {5, 8, 3}, "maxIter", 1)), jvmLayers);

    String unknown = fitFails(Map.of("layerz", new int[] {4, 8, 3}));
    assertTrue(unknown.contains("layerz"), unknown);
  }

  // ---- the messages PySpark sends ----

  String fit(String estimator, String uid, Map<String, Object> params, Relation data) {
    return ml(MlCommand.newBuilder().setFit(MlCommand.Fit.newBuilder().setEstimator(MlOperator.newBuilder().setName(estimator).setUid(uid)
        .setType(MlOperator.OperatorType.OPERATOR_TYPE_ESTIMATOR)).setParams(params(params)).setDataset(data)))
        .getOperatorInfo().getObjRef().getId();
  }

  String fitFails(Map<String, Object> params) {
    Exception e = assertThrows(Exception.class, () -> fit(CLASSIFIER, "MlpClassifier_bad", params, assembled()));
    return e.getMessage();
  }

  String fetchFails(String ref, String method) {
    return assertThrows(Exception.class, () -> fetch(ref, method)).getMessage();
  }

  Expression.Literal fetch(String ref, String method) {
    return ml(MlCommand.newBuilder().setFetch(Fetch.newBuilder().setObjRef(ref(ref)).addMethods(Fetch.Method.newBuilder().setMethod(method))))
        .getParam();
  }

  MlCommandResult ml(MlCommand.Builder command) {
    scala.collection.immutable.Seq<ExecutePlanResponse> responses = remote.execute(Command.newBuilder().setMlCommand(command).build());
    for (ExecutePlanResponse r : CollectionConverters.asJava(responses)) {
      if (r.hasMlCommandResult()) return r.getMlCommandResult();
    }
    throw new AssertionError("no MlCommandResult in " + responses);
  }

  /** model.transform(df): the model by its server-side reference. */
  static Relation transform(String ref, Relation input) {
    return transform(ref, Map.of(), input);
  }

  /** The same with the Params PySpark copied from the estimator to the model (those both have). */
  static Relation transform(String ref, Map<String, Object> modelParams, Relation input) {
    return Relation.newBuilder().setMlRelation(MlRelation.newBuilder().setTransform(MlRelation.Transform.newBuilder()
        .setObjRef(ref(ref)).setInput(input).setParams(params(modelParams)))).build();
  }

  /** Transformer(**params).transform(df) for a transformer that needs no fit. */
  static Relation transformWith(String transformer, String uid, Map<String, Object> params, Relation input) {
    return Relation.newBuilder().setMlRelation(MlRelation.newBuilder().setTransform(MlRelation.Transform.newBuilder()
        .setTransformer(MlOperator.newBuilder().setName(transformer).setUid(uid).setType(MlOperator.OperatorType.OPERATOR_TYPE_TRANSFORMER))
        .setInput(input).setParams(params(params)))).build();
  }

  /**
   * The rows of a relation computed on the server, by id: written there as Parquet and read back
   * here (collecting through the client would need its Arrow classes, which this JVM's
   * spark-sql-api shadows).
   */
  List<Row> rows(Relation relation, String... columns) {
    String out = work.resolve("rows-" + (outputs++)).toString();
    frame(relation).select("id", columns).write().parquet(out);
    return rows(local.read().parquet(out), columns);
  }

  static List<Row> rows(org.apache.spark.sql.Dataset<Row> frame, String... columns) {
    return frame.select("id", columns).orderBy("id").collectAsList();
  }

  int outputs;

  org.apache.spark.sql.Dataset<Row> frame(Relation relation) {
    return remote.newDataFrame(b -> {
      b.mergeFrom(relation);
      return BoxedUnit.UNIT;
    });
  }

  static ObjectRef ref(String id) {
    return ObjectRef.newBuilder().setId(id).build();
  }

  /** Params as PySpark's serialize_ml_params sends them: only the set ones, Python ints as integers. */
  static MlParams params(Map<String, Object> values) {
    MlParams.Builder b = MlParams.newBuilder();
    values.forEach((k, v) -> b.putParams(k, literal(v)));
    return b.build();
  }

  static Expression.Literal literal(Object v) {
    Expression.Literal.Builder b = Expression.Literal.newBuilder();
    if (v instanceof Integer i) return b.setInteger(i).build();
    if (v instanceof Double d) return b.setDouble(d).build();
    if (v instanceof Boolean z) return b.setBoolean(z).build();
    if (v instanceof String s) return b.setString(s).build();
    if (v instanceof int[] a) {
      Expression.Literal.Array.Builder arr = Expression.Literal.Array.newBuilder()
          .setElementType(DataType.newBuilder().setInteger(DataType.Integer.getDefaultInstance()));
      for (int x : a) arr.addElements(Expression.Literal.newBuilder().setInteger(x));
      return b.setArray(arr).build();
    }
    if (v instanceof String[] a) {
      Expression.Literal.Array.Builder arr = Expression.Literal.Array.newBuilder()
          .setElementType(DataType.newBuilder().setString(DataType.String.getDefaultInstance()));
      for (String x : a) arr.addElements(Expression.Literal.newBuilder().setString(x));
      return b.setArray(arr).build();
    }
    throw new IllegalArgumentException("no literal for " + v);
  }

  static double[] doubles(Expression.Literal array) {
    if (array.hasSpecializedArray()) {
      return array.getSpecializedArray().getDoubles().getValuesList().stream().mapToDouble(Double::doubleValue).toArray();
    }
    return array.getArray().getElementsList().stream().mapToDouble(Expression.Literal::getDouble).toArray();
  }

  // ---- data ----

  static final String SCHEMA = "id INT, x0 DOUBLE, x1 DOUBLE, x2 DOUBLE, x3 DOUBLE, label DOUBLE, y DOUBLE";

  /** 600 rows of three Gaussian blobs in 4-D (label) and a smooth function of them (y). */
  static String writeData(Path file) throws IOException {
    Random r = new Random(42);
    StringBuilder sb = new StringBuilder("id,x0,x1,x2,x3,label,y\n");
    for (int i = 0; i < 600; i++) {
      int k = i % 3;
      double[] x = new double[4];
      for (int j = 0; j < 4; j++) x[j] = 3.0 * (j == k ? 1 : 0) + 10.0 * k + r.nextGaussian();
      double y = Math.sin(x[0] / 4) + 0.1 * x[1] - 0.05 * x[2] * x[3] / 10;
      sb.append(String.format(java.util.Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%d,%.6f%n", i, x[0], x[1], x[2], x[3], k, y));
    }
    Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    return file.toString();
  }

  /** VectorAssembler(inputCols=[x0..x3], outputCol="features").transform(spark.read.csv(...)), over Connect. */
  Relation assembled() {
    Relation raw = remote.read().schema(SCHEMA).option("header", "true").csv(csv).plan().getRoot();
    return transformWith("org.apache.spark.ml.feature.VectorAssembler", "VectorAssembler_0",
        Map.of("inputCols", INPUTS, "outputCol", "features"), raw);
  }

  org.apache.spark.sql.Dataset<Row> localData() {
    return local.read().schema(SCHEMA).option("header", "true").csv(csv);
  }

  org.apache.spark.sql.Dataset<Row> assembledLocally() {
    return new VectorAssembler().setInputCols(INPUTS).setOutputCol("features").transform(localData());
  }

  // ---- checks ----

  /** Row by row the same values, bit for bit (doubles and vectors). */
  static void assertSameRows(List<Row> expected, List<Row> actual) {
    assertEquals(expected.size(), actual.size(), "rows");
    for (int i = 0; i < expected.size(); i++) {
      Row e = expected.get(i);
      Row a = actual.get(i);
      for (int c = 0; c < e.size(); c++) {
        Object x = e.get(c);
        Object y = a.get(c);
        if (x instanceof Vector v) {
          assertArrayEquals(v.toArray(), ((Vector) y).toArray(), "row " + i + " column " + c);
        } else {
          assertEquals(x, y, "row " + i + " column " + c);
        }
      }
    }
  }

  /** The client's message holds the JVM's and no server stack frames. */
  static void assertClear(String overConnect, String jvmMessage) {
    assertTrue(overConnect.contains(jvmMessage), "over Connect: " + overConnect + "\nin the JVM: " + jvmMessage);
    assertFalse(overConnect.contains("\tat ") || overConnect.contains("at org.apache.spark."), overConnect);
  }

  static String serverClassPath() throws IOException {
    Path target = Path.of("target");
    List<String> cp = new ArrayList<>();
    try (Stream<Path> s = Files.list(target)) {
      s.filter(p -> p.getFileName().toString().endsWith("-cluster.jar")).forEach(p -> cp.add(p.toAbsolutePath().toString()));
    }
    if (cp.isEmpty()) fail("no cluster jar in " + target.toAbsolutePath() + ": run mvn package first");
    for (String dir : List.of("connect-server", "lib")) {
      try (Stream<Path> s = Files.list(target.resolve(dir))) {
        s.filter(p -> !p.getFileName().toString().startsWith("sparkprop-")).sorted()
            .forEach(p -> cp.add(p.toAbsolutePath().toString()));
      }
    }
    return String.join(File.pathSeparator, cp);
  }

  void awaitPort(int port, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) fail("the Spark Connect server exited " + server.exitValue() + ":\n" + Files.readString(serverLog));
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(250);
      }
    }
    fail("no Spark Connect server on port " + port + " after " + seconds + " s:\n" + Files.readString(serverLog));
  }
}
