namespace DeepPcr.Cli.Errors;

/// <summary>
/// The computation produced non-finite values (NaN or infinity): exit code 3, nothing is written. The message
/// names the step where the values first appeared.
/// </summary>
public sealed class NumericalFailureException : Exception
{
    /// <summary>A failure whose message names where the non-finite values first appeared.</summary>
    public NumericalFailureException(string message) : base(message) { }
}
