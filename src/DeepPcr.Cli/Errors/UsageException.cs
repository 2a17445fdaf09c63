namespace DeepPcr.Cli.Errors;

/// <summary>
/// A usage or input error found by the command line itself (a bad value, a path that cannot be written, a run
/// that exceeds the memory limit): exit code 2, and the message is printed as it is, on one line.
/// </summary>
public sealed class UsageException : Exception
{
    /// <summary>An error whose message is shown to the user.</summary>
    public UsageException(string message) : base(message) { }
}
