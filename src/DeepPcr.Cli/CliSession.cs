using System.CommandLine;
using DeepPcr.Cli.Limits;

namespace DeepPcr.Cli;

/// <summary>
/// The options every command accepts (`--verbose`, `--max-memory`), as read for the invocation in progress. Commands
/// invoked without <see cref="Program.Main"/> (in tests) see the defaults: not verbose, the available memory as limit.
/// </summary>
/// <param name="Verbose">Show exception types and stack traces with errors.</param>
/// <param name="MaxMemory">The memory limit in bytes given by --max-memory, or null for the available memory.</param>
public sealed record CliSession(bool Verbose, long? MaxMemory)
{
    private static readonly AsyncLocal<CliSession?> current = new();

    /// <summary>The session of the invocation in progress.</summary>
    public static CliSession Current => current.Value ?? new CliSession(false, null);

    /// <summary>`--verbose`: errors with exception types and stack traces.</summary>
    public static Option<bool> VerboseOption() => new("--verbose") { Description = "On errors, also print the exception type and stack trace.", Recursive = true };

    /// <summary>`--max-memory SIZE`: the memory limit of the run's estimate (default: the available memory).</summary>
    public static Option<string?> MaxMemoryOption() => new("--max-memory")
    {
        Description = "Refuse runs whose estimated memory exceeds SIZE (e.g. 512M, 8G; default: the memory available now).",
        HelpName = "SIZE",
        Recursive = true,
    };

    /// <summary>Makes <paramref name="session"/> current until the returned scope is disposed.</summary>
    public static IDisposable Enter(CliSession session)
    {
        var previous = current.Value;
        current.Value = session;
        return new Scope(() => current.Value = previous);
    }

    /// <summary>Reads the session from parsed arguments; a malformed --max-memory throws <see cref="Errors.UsageException"/>.</summary>
    public static CliSession From(ParseResult parsed, Option<bool> verbose, Option<string?> maxMemory) =>
        new(parsed.GetValue(verbose), parsed.GetValue(maxMemory) is string text ? ByteSize.Parse(text, "--max-memory") : null);

    private sealed class Scope(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
