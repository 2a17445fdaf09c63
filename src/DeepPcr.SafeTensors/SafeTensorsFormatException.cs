namespace DeepPcr.SafeTensors;

/// <summary>
/// Thrown when bytes that claim to be a safetensors file break the format, or when a tensor is read
/// as a dtype it does not have. The message is one line that names the problem and, where one is
/// involved, the tensor.
/// </summary>
/// <remarks>
/// It derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed;
/// code that loads a file can catch read failures and damaged files together.
/// </remarks>
public sealed class SafeTensorsFormatException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public SafeTensorsFormatException()
        : base("The data is not a valid safetensors file.")
    {
    }

    /// <summary>Creates the exception with a one-line message that names the problem.</summary>
    /// <param name="message">What is wrong.</param>
    public SafeTensorsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that revealed the problem.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error, for example a JSON parse error.</param>
    public SafeTensorsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
