namespace DeepPcr.Platform;

/// <summary>
/// Thrown on the first use of DeepPcr when TorchSharp's native library (libLibTorchSharp.so, with libtorch) is
/// present but cannot be loaded. Its message names the missing symbol or symbol version and the fix, in place of
/// TorchSharp's own message, which blames a missing libtorch package. Because the check runs as the assembly's
/// module initializer, the runtime delivers it wrapped in a <see cref="TypeInitializationException"/> whose
/// <see cref="Exception.InnerException"/> is this exception.
/// </summary>
public sealed class LibTorchLoadException : Exception
{
    /// <summary>Creates the exception from its explanation and the loader's own failure.</summary>
    /// <param name="message">What is missing and what to do.</param>
    /// <param name="loaderError">The runtime's exception from loading the library (its message holds dlerror's text).</param>
    public LibTorchLoadException(string message, Exception loaderError) : base(message, loaderError)
    {
    }

    /// <summary>The symbol version (for example GLIBCXX_3.4.32) or symbol the dynamic loader could not find.</summary>
    public string? MissingSymbol { get; init; }
}
