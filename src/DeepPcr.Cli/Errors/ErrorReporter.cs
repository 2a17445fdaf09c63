using System.Reflection;
using System.Text.RegularExpressions;

namespace DeepPcr.Cli.Errors;

/// <summary>
/// Turns an exception into its exit code (<see cref="ExitCodes"/>) and one line on stderr. No .NET exception type
/// name or stack trace is shown unless <c>--verbose</c> was given.
/// </summary>
public static partial class ErrorReporter
{
    /// <summary>Writes the one-line message (and with <paramref name="verbose"/> the whole exception) and returns the exit code.</summary>
    public static int Report(Exception exception, TextWriter error, bool verbose)
    {
        var e = Unwrap(exception);
        int code = CodeOf(e);
        string message = OneLine(e);
        if (code == ExitCodes.InternalError)
        {
            message = verbose ? $"internal error: {message}" : $"internal error: {message} (rerun with --verbose for details)";
        }
        error.WriteLine($"error: {message}");
        if (verbose) error.WriteLine(e.ToString());
        return code;
    }

    /// <summary>The exit code of an exception: 3 numerical failure, 2 usage or input error, 1 anything else.</summary>
    public static int CodeOf(Exception exception) => Unwrap(exception) switch
    {
        NumericalFailureException => ExitCodes.NumericalFailure,
        UsageException or DeepPcr.Mpi.MpiUnavailableException or ArgumentException or FormatException or IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException => ExitCodes.UsageError,
        OutOfMemoryException => ExitCodes.UsageError,
        var e when IsNativeAllocationFailure(e) => ExitCodes.UsageError,
        _ => ExitCodes.InternalError,
    };

    /// <summary>The message's first line, without .NET's "(Parameter 'x')" and "Actual value was" additions.</summary>
    public static string OneLine(Exception exception)
    {
        var e = Unwrap(exception);
        if (e is OutOfMemoryException || IsNativeAllocationFailure(e))
        {
            return "the run ran out of memory; use smaller sizes (the estimate before the run missed this one)";
        }
        string text = e.Message.Split('\n', 2)[0].Trim();
        text = ParameterSuffix().Replace(text, "");
        return text.Length == 0 ? "unknown error" : text;
    }

    private static Exception Unwrap(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Unwrap(a.InnerExceptions[0]),
        TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        TypeInitializationException { InnerException: { } inner } => Unwrap(inner),
        _ => e,
    };

    /// <summary>libtorch reports a failed allocation as an ExternalException whose text starts with its allocator's complaint.</summary>
    private static bool IsNativeAllocationFailure(Exception e) =>
        e is System.Runtime.InteropServices.ExternalException && e.Message.Contains("can't allocate memory", StringComparison.Ordinal);

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)\s*$")]
    private static partial Regex ParameterSuffix();
}
