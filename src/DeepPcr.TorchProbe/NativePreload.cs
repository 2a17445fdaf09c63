using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace DeepPcr.TorchProbe;

/// <summary>
/// Loads libtorch's libraries from a folder by full path, in dependency order, so that
/// libLibTorchSharp.so (which names them by file name) finds them already loaded.
/// </summary>
public static class NativePreload
{
    /// <summary>The libraries preloaded, in order (each only where it exists).</summary>
    public static readonly IReadOnlyList<string> Libraries =
        ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];

    /// <summary>TorchSharp's native library, expected next to the probe.</summary>
    public const string LibTorchSharp = "libLibTorchSharp.so";

    /// <summary>Loads each of <see cref="Libraries"/> that exists in <paramref name="folder"/>.</summary>
    /// <param name="folder">The torch/lib folder.</param>
    /// <returns><c>"folder_exists"</c> and <c>"libraries"</c> (file, exists, loaded, error); <c>"ok"</c> when libc10, libtorch_cpu and libtorch loaded.</returns>
    public static JsonObject LoadTorch(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var libraries = new JsonArray();
        var json = new JsonObject { ["folder"] = folder, ["folder_exists"] = Directory.Exists(folder), ["libraries"] = libraries };
        var loaded = new HashSet<string>();
        foreach (string name in Libraries)
        {
            string path = Path.Combine(folder, name);
            var entry = Load(path);
            entry["file"] = name;
            libraries.Add((JsonNode)entry);
            if (ProbeStage.IsOk(entry))
                loaded.Add(name);
        }
        bool ok = loaded.IsSupersetOf(["libc10.so", "libtorch_cpu.so", "libtorch.so"]);
        json["ok"] = ok;
        if (!ok)
            json["error"] = Directory.Exists(folder) ? "libc10.so, libtorch_cpu.so or libtorch.so did not load" : $"{folder} does not exist";
        return json;
    }

    /// <summary>Loads <see cref="LibTorchSharp"/> from the probe's own folder.</summary>
    /// <returns><c>"path"</c>, <c>"exists"</c>, <c>"ok"</c> and the loader's error.</returns>
    public static JsonObject LoadLibTorchSharp() =>
        Load(Path.Combine(AppContext.BaseDirectory, LibTorchSharp));

    /// <summary>Loads one library by full path.</summary>
    /// <param name="path">The library's path.</param>
    /// <returns><c>"ok"</c>, <c>"path"</c>, <c>"exists"</c> and, on failure, <c>"error"</c>.</returns>
    public static JsonObject Load(string path)
    {
        var json = new JsonObject { ["path"] = path, ["exists"] = File.Exists(path) };
        if (!File.Exists(path))
        {
            json["ok"] = false;
            json["error"] = "not found";
            return json;
        }
        try
        {
            NativeLibrary.Load(path);
            json["ok"] = true;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            json["ok"] = false;
            json["error"] = e.Message;
        }
        return json;
    }
}
