using System.Diagnostics;

namespace DeepPcr.Cli.Measuring;

/// <summary>
/// What the benchmarks need to build or run a peer outside .NET (the C reference loop, the PyTorch script): a
/// program found on PATH, a source embedded in this assembly written to a fresh folder, and a child process run to
/// its end with its output captured.
/// </summary>
public static class PeerProcess
{
    /// <summary>The full path of an executable file named <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        if (Path.IsPathRooted(name)) return File.Exists(name) ? name : null;
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>A new empty folder under the system's temporary folder.</summary>
    public static string NewFolder(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>Writes the embedded resource <c>DeepPcr.Cli.Peers.{name}</c> into <paramref name="folder"/>; returns its path.</summary>
    /// <exception cref="InvalidOperationException">No such resource (a build without the peers).</exception>
    public static string Extract(string name, string folder)
    {
        using var source = typeof(PeerProcess).Assembly.GetManifestResourceStream($"DeepPcr.Cli.Peers.{name}")
            ?? throw new InvalidOperationException($"The peer source {name} is not embedded in this build.");
        string path = Path.Combine(folder, name);
        using var target = File.Create(path);
        source.CopyTo(target);
        return path;
    }

    /// <summary>Runs a program to its end (killed after <paramref name="timeout"/>); returns its exit code and stdout + stderr.</summary>
    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"timed out after {timeout.TotalSeconds:0} s\n{stdout.Result}{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
