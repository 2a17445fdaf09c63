namespace DeepPcr.Cli.Errors;

/// <summary>
/// The one exit-code scheme of the `deeppcr` command (documented in `--help` and the README):
/// 0 success, 1 internal error, 2 usage or input error, 3 numerical failure.
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>A fault of the program itself (a bug): the message says to rerun with --verbose.</summary>
    public const int InternalError = 1;

    /// <summary>Bad usage or input: a parse error, a bad value, a missing or unwritable file, a run larger than the memory limit.</summary>
    public const int UsageError = 2;

    /// <summary>The computation produced non-finite values (NaN or infinity); nothing was written.</summary>
    public const int NumericalFailure = 3;

    /// <summary>The scheme in one line, for `--help` and error hints.</summary>
    public const string Summary = "Exit codes: 0 success, 1 internal error, 2 usage or input error, 3 numerical failure (non-finite results).";
}
