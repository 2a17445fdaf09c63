using System.Runtime.InteropServices;
using TorchSharp;

namespace DeepPcr.Platform;

/// <summary>
/// Loads TorchSharp's native library the way TorchSharp will, before TorchSharp tries, so that a library that is
/// present but cannot load (on Debian 12 and Ubuntu 22.04: a libstdc++ without GLIBCXX_3.4.32 and a copy that the
/// build step did not patch) fails with a <see cref="LibTorchLoadException"/> that names the missing symbol and
/// the fix. TorchSharp's own message for that case blames a missing libtorch package. DeepPcr and DeepPcr.Models
/// run it as their module initializers, so that it precedes the first tensor DeepPcr makes.
/// </summary>
public static class LibTorchLoadCheck
{
    private static readonly object Gate = new();
    private static bool _done;

    /// <summary>
    /// Checks once per process; later calls return at once. Does nothing outside Linux, and leaves a library
    /// that is not found at all to TorchSharp's own search.
    /// </summary>
    /// <exception cref="LibTorchLoadException">libLibTorchSharp.so or a library it needs was found but lacks a
    /// symbol or symbol version.</exception>
    public static void EnsureLoadable()
    {
        if (Volatile.Read(ref _done) || !OperatingSystem.IsLinux()) return;
        lock (Gate)
        {
            if (_done) return;
            Check();
            _done = true;
        }
    }

    private static void Check()
    {
        try
        {
            // typeof(torch) reads metadata only: it does not run TorchSharp's initialiser.
            NativeLibrary.Load("LibTorchSharp", typeof(torch).Assembly, null);
        }
        catch (DllNotFoundException e)
        {
            string? explanation = LibTorchLoadDiagnosis.Explain(e.Message, out string? missing);
            if (explanation is not null) throw new LibTorchLoadException(explanation, e) { MissingSymbol = missing };
        }
    }
}
