using System.Diagnostics;
using System.Text;

namespace DeepPcr.Mpi.Tests;

/// <summary>
/// One launch of a program from this test's output folder: under Open MPI's mpirun (as root, oversubscribed, with
/// the ranks' stdin closed) or alone, with a timeout after which the whole process tree is killed and the result says so.
/// </summary>
public sealed record MpiJob(int ExitCode, string Out, string Error, bool TimedOut)
{
    /// <summary>mpirun on PATH, or null.</summary>
    public static string? Mpirun { get; } = Which("mpirun");

    /// <summary>The skip reason where mpirun is absent.</summary>
    public const string NoMpirun = "mpirun is not on PATH (install Open MPI: apt-get install openmpi-bin libopenmpi-dev)";

    /// <summary>The JSON lines of stdout.</summary>
    public IEnumerable<string> JsonLines => Out.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('{'));

    /// <summary>`mpirun -np P dotnet DLL ARGS` in this test's output folder.</summary>
    public static MpiJob Launch(int ranks, string dll, IEnumerable<string> args, TimeSpan timeout) =>
        Run(Mpirun!, new[] { "--oversubscribe", "--allow-run-as-root", "--stdin", "none", "-np", ranks.ToString(), "dotnet", Path.Combine(AppContext.BaseDirectory, dll) }.Concat(args), timeout, null);

    /// <summary>`dotnet DLL ARGS` alone, with extra environment variables.</summary>
    public static MpiJob Alone(string dll, IEnumerable<string> args, IDictionary<string, string> environment, TimeSpan timeout) =>
        Run("dotnet", new[] { Path.Combine(AppContext.BaseDirectory, dll) }.Concat(args), timeout, environment);

    private static MpiJob Run(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool exited = process.WaitForExit(timeout);
        if (!exited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return new MpiJob(exited ? process.ExitCode : -1, output.ToString(), error.ToString(), !exited);
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
