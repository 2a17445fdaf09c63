using System.CommandLine;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Commands;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Mlp;
using DeepPcr.Distributed;

namespace DeepPcr.Cli.Distributed;

/// <summary>
/// The `--distributed` flag of `deeppcr mlp` and `deeppcr run`: the arguments are checked on every rank before MPI
/// starts (a bad argument ends every rank alike, with exit code 2), then each rank runs its part under
/// <see cref="DistributedJob"/> (a rank that fails aborts the job), and only rank 0 writes to stdout.
/// </summary>
public static class DistributedCommand
{
    /// <summary>The option.</summary>
    public static Option<bool> Option() => new("--distributed")
    {
        Description = "Split the chain across the ranks of an MPI job, one contiguous segment per rank; launch under Open MPI's mpirun (mpirun -np 4 deeppcr ... --distributed). Only rank 0 prints.",
    };

    /// <summary>`deeppcr mlp --distributed`.</summary>
    public static int Run(Func<MlpPoint> point, bool json, string[] args) => CommandRunner.Run(() =>
    {
        var p = point();
        p.Validate();
        return Ranks(group =>
        {
            var report = DistributedMlp.Run(p, args, group);
            if (report is not null) Print(report, json);
            return 0;
        });
    });

    /// <summary>Runs <paramref name="body"/> on this rank under <see cref="DistributedJob"/>.</summary>
    public static int Ranks(Func<RankGroup, int> body) =>
        DistributedJob.Run(body, e => (ErrorReporter.CodeOf(e), ErrorReporter.OneLine(e)), Console.Error);

    private static void Print(JsonObject report, bool json)
    {
        if (json)
        {
            Console.WriteLine(report.ToJsonString());
            return;
        }
        var f = report["forward"]!;
        var b = report["backward"]!;
        Console.WriteLine($"L = {report["layers"]}, w = {report["width"]}, B = {report["batch"]} ({report["dtype"]}) on {report["ranks"]} ranks, {report["threads_per_rank"]} thread(s) each");
        Console.WriteLine($"forward:  {f["termination"]} after {f["iterations"]} iterations, {f["deeppcr_ms"]!.GetValue<double>():F1} ms (sequential relay {f["sequential_relay_ms"]!.GetValue<double>():F1} ms), max_rel_error {f["max_rel_error"]}");
        Console.WriteLine($"backward: {b["deeppcr_ms"]!.GetValue<double>():F1} ms, max_rel_error {b["max_rel_error"]}");
        Console.WriteLine($"exchanged {report["bytes_exchanged"]} bytes in {report["exchange_rounds"]} rounds per rank (the chain's Jacobians: {report["jacobian_bytes"]} bytes)");
    }
}
