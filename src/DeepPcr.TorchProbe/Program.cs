using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepPcr.TorchProbe;

// DeepPcr.TorchProbe --torch-lib DIR [--out FILE] [--size N]
// Preloads libtorch from DIR, loads libLibTorchSharp.so from its own folder, asks TorchSharp for CUDA
// and checks a matmul there against the CPU. Prints one JSON line to stdout (last) and rewrites
// --out FILE after every step, so that a native crash keeps the steps before it.
// Exit code: 0 all ok, 1 a step failed, 2 bad arguments.
string? torchLib = null, outFile = null;
int size = 256;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--torch-lib" when i + 1 < args.Length: torchLib = args[++i]; break;
        case "--out" when i + 1 < args.Length: outFile = args[++i]; break;
        case "--size" when i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n > 0: size = n; i++; break;
        default:
            Console.Error.WriteLine($"unknown or incomplete option {args[i]}\nusage: DeepPcr.TorchProbe --torch-lib DIR [--out FILE] [--size N]");
            return 2;
    }
}
if (torchLib is null)
{
    Console.Error.WriteLine("usage: DeepPcr.TorchProbe --torch-lib DIR [--out FILE] [--size N]");
    return 2;
}

var report = new JsonObject { ["probe"] = "DeepPcr.TorchProbe", ["torch_lib"] = torchLib };
void Record(string key, JsonObject step)
{
    report[key] = step;
    Save();
    Console.Error.WriteLine($"[torchprobe] {key}: {(ProbeStage.IsOk(step) ? "ok" : $"failed: {step["error"]}")}");
}

Record("preload", ProbeStage.Run(() => NativePreload.LoadTorch(torchLib)));
var libTorchSharp = ProbeStage.Run(NativePreload.LoadLibTorchSharp);
Record("libtorchsharp", libTorchSharp);
// Without its native library TorchSharp would search the NuGet cache and copy libtorch (hundreds of
// MB) next to itself: not wanted here, so the TorchSharp steps run only when the library loaded.
var availability = ProbeStage.IsOk(libTorchSharp)
    ? ProbeStage.Run(CudaMatmulCheck.Availability)
    : new JsonObject { ["ok"] = false, ["error"] = "not run: libLibTorchSharp.so did not load" };
Record("cuda", availability);
bool cudaAvailable = availability["available"]?.GetValue<bool>() == true;
if (ProbeStage.IsOk(availability))
    Record("matmul", ProbeStage.Run(() => CudaMatmulCheck.Matmul(size, cudaAvailable)));

bool ok = new[] { "preload", "libtorchsharp", "cuda", "matmul" }.All(k => ProbeStage.IsOk(report[k] as JsonObject)) && cudaAvailable;
report["ok"] = ok;
if (!ok)
{
    report["error"] = new[] { "preload", "libtorchsharp", "cuda", "matmul" }
        .Select(k => report[k] is JsonObject s ? (ProbeStage.IsOk(s) ? null : $"{k}: {s["error"]}") : $"{k}: not run")
        .FirstOrDefault(e => e is not null) ?? "CUDA is not available";
}
Save();
Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
return ok ? 0 : 1;

void Save()
{
    if (outFile is null)
        return;
    try
    {
        string temporary = outFile + ".tmp";
        File.WriteAllText(temporary, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        File.Move(temporary, outFile, overwrite: true);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"[torchprobe] could not write {outFile}: {e.Message}");
    }
}
