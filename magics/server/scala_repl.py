"""Scala statements inside a session's REPL child: the Scala 2.13 interpreter (IMain) that ships in the
pyspark wheel (spark-repl and scala-compiler jars), driven through py4j in the same JVM, so Scala shares the
session's SparkSession (`spark`, `sc`, `sqlContext`) like Livy's shared sessions.

Console output of the Scala code is captured by pointing scala.Console's thread-local `out` at a buffer (the
interpreter runs code in the calling JVM thread, the one py4j pins to the REPL's main thread).
"""

from __future__ import annotations

from typing import Any

PRELUDE = (
    "val spark = org.apache.spark.sql.SparkSession.builder.getOrCreate()\n"
    "val sc = spark.sparkContext\n"
    "val sqlContext = spark.sqlContext\n"
)


class ScalaInterpreter:
    """One IMain per session, created on the first Scala statement."""

    def __init__(self, spark: Any) -> None:
        jvm = spark.sparkContext._jvm
        settings = jvm.scala.tools.nsc.Settings()
        settings.usejavacp().tryToSetFromPropertyValue("true")
        settings.nowarn().tryToSetFromPropertyValue("true")
        self._report = jvm.java.io.StringWriter()
        writer = jvm.java.io.PrintWriter(self._report, True)
        reporter = jvm.scala.tools.nsc.interpreter.shell.ReplReporterImpl(settings, writer)
        self._intp = jvm.scala.tools.nsc.interpreter.IMain(settings, reporter)
        self._intp.initializeCompiler()
        self._out = jvm.java.io.ByteArrayOutputStream()
        self._stream = jvm.java.io.PrintStream(self._out, True, "UTF-8")
        self._capture_console(jvm)
        prelude = self.execute(PRELUDE)
        if prelude["status"] != "ok":
            raise RuntimeError(f"the Scala interpreter could not bind spark: {prelude.get('evalue')}")

    def _capture_console(self, jvm: Any) -> None:
        console = jvm.java.lang.Class.forName("scala.Console$")
        module = console.getField("MODULE$").get(None)
        for field in console.getDeclaredFields():
            if str(field.getName()).endswith("outVar"):
                field.setAccessible(True)
                getattr(field.get(module), "value_$eq")(self._stream)
                return
        raise RuntimeError("scala.Console has no outVar field: this Scala version is not supported")

    def execute(self, code: str) -> dict[str, Any]:
        """Interpret code; Livy's output object (text/plain = console output + the REPL's value lines)."""
        self._report.getBuffer().setLength(0)
        self._out.reset()
        result = str(self._intp.interpret(code))
        self._stream.flush()
        printed = str(self._out.toString("UTF-8"))
        report = str(self._report.toString())
        if result == "Success":
            return {"status": "ok", "data": {"text/plain": (printed + report).rstrip("\n")}}
        if result == "Incomplete":
            evalue = "incomplete statement: the Scala code ends in the middle of an expression"
            return {"status": "error", "ename": "Error", "evalue": evalue, "traceback": []}
        lines = [line for line in report.splitlines() if line.strip() not in ("", "^")]
        first = next((line.strip() for line in lines if not line.strip().startswith("^")), "error")
        if first.startswith("error:"):
            ename, evalue = "Error", "\n".join(line.strip() for line in lines)
        else:
            ename, _, evalue = first.partition(": ")
        trace = [f"{line}\n" for line in lines]
        return {"status": "error", "ename": ename, "evalue": evalue or first, "traceback": trace}
