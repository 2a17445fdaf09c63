using System.Diagnostics;

namespace DeepPcr.GpuCheck;

/// <summary>What a child process did.</summary>
/// <param name="ExitCode">Its exit code, or null when it was killed at the timeout.</param>
/// <param name="TimedOut">Whether it ran past the timeout and was killed.</param>
/// <param name="Stdout">Everything it wrote to stdout.</param>
/// <param name="Stderr">Everything it wrote to stderr.</param>
/// <param name="ElapsedMs">Wall-clock milliseconds.</param>
public sealed record ChildResult(int? ExitCode, bool TimedOut, string Stdout, string Stderr, double ElapsedMs);

/// <summary>
/// Runs a program as a child process with a timeout, capturing stdout and stderr. A native crash
/// of the child cannot take this process down; it shows as a signal exit code (128 + signal on Linux).
/// </summary>
public static class ChildProcess
{
    /// <summary>Runs <paramref name="fileName"/> and waits for it, killing it (and its children) at the timeout.</summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments, passed as they are.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="environment">Variables to set in the child's environment.</param>
    /// <returns>The outcome.</returns>
    public static ChildResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
                info.Environment[key] = value;
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the wait and the kill.
            }
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        else
        {
            process.WaitForExit();   // drains the redirected streams
        }
        string output = Collect(stdout);
        string error = Collect(stderr);
        return new ChildResult(exited ? process.ExitCode : null, !exited, output, error, watch.Elapsed.TotalMilliseconds);
    }

    private static string Collect(Task<string> read) =>
        read.Wait(TimeSpan.FromSeconds(10)) ? read.Result : "(output not collected: the stream stayed open)";
}
