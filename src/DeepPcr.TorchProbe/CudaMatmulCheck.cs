using System.Diagnostics;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.TorchProbe;

/// <summary>TorchSharp on CUDA: is CUDA available, and does a matmul there agree with the CPU?</summary>
public static class CudaMatmulCheck
{
    /// <summary>Asks TorchSharp whether CUDA is available and how many devices it sees.</summary>
    /// <returns><c>"available"</c>, <c>"device_count"</c>, TorchSharp's version.</returns>
    public static JsonObject Availability()
    {
        bool available = cuda.is_available();
        return new JsonObject
        {
            ["ok"] = true,
            ["available"] = available,
            ["device_count"] = available ? cuda.device_count() : 0,
            ["torchsharp_version"] = typeof(torch).Assembly.GetName().Version?.ToString(),
        };
    }

    /// <summary>
    /// Multiplies two seeded <paramref name="size"/> x <paramref name="size"/> float32 matrices on the
    /// CPU and, where available, on CUDA, and compares the results.
    /// </summary>
    /// <param name="size">The matrices' side (256 by default).</param>
    /// <param name="useCuda">Whether to run the CUDA product.</param>
    /// <returns><c>"cpu_ms"</c>, and with CUDA <c>"cuda_first_ms"</c>, <c>"cuda_median_ms"</c>, <c>"max_abs_diff"</c>, <c>"max_abs_cpu"</c>.</returns>
    public static JsonObject Matmul(int size, bool useCuda)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var a = randn(size, size);
        var b = randn(size, size);
        var watch = Stopwatch.StartNew();
        var cpuResult = a.matmul(b);
        double cpuMs = watch.Elapsed.TotalMilliseconds;
        var json = new JsonObject { ["size"] = size, ["cpu_ms"] = Math.Round(cpuMs, 4) };
        if (!useCuda)
        {
            json["ok"] = false;
            json["error"] = "CUDA is not available: only the CPU product ran";
            return json;
        }

        var device = torch.device(DeviceType.CUDA, 0);
        var ca = a.to(device);
        var cb = b.to(device);
        watch.Restart();
        var gpuResult = ca.matmul(cb);
        cuda.synchronize();
        double firstMs = watch.Elapsed.TotalMilliseconds;
        var times = new double[10];
        for (int i = 0; i < times.Length; i++)
        {
            watch.Restart();
            using var again = ca.matmul(cb);
            cuda.synchronize();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        double diff = (gpuResult.cpu() - cpuResult).abs().max().item<float>();
        double scale = cpuResult.abs().max().item<float>();
        bool ok = diff <= 1e-3 * Math.Max(scale, 1.0);
        json["ok"] = ok;
        if (!ok)
            json["error"] = $"CUDA and CPU products differ by {diff} (largest |value| {scale})";
        json["cuda_first_ms"] = Math.Round(firstMs, 4);
        json["cuda_median_ms"] = Math.Round(0.5 * (times[4] + times[5]), 4);
        json["max_abs_diff"] = diff;
        json["max_abs_cpu"] = scale;
        return json;
    }
}
