using System.Diagnostics;
using System.Text.Json.Nodes;

namespace DeepPcr.GpuCheck;

/// <summary>The <c>"devices"</c> stage: what ILGPU's context lists with a given recipe.</summary>
public static class DevicesStage
{
    /// <summary>Creates a context with <paramref name="recipe"/> and lists its devices.</summary>
    /// <param name="recipe">How to build the context (normally <see cref="ContextRecipe.Default"/>).</param>
    /// <returns><c>"recipe"</c>, <c>"context_ms"</c>, <c>"devices"</c>, <c>"cuda_devices"</c>, <c>"libcuda"</c>.</returns>
    public static JsonObject Run(ContextRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        LibCuda.EnsureIlgpuResolver();
        var json = new JsonObject { ["recipe"] = recipe.Description };
        long start = Stopwatch.GetTimestamp();
        using (var context = recipe.Create())
        {
            json["context_ms"] = Timing.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            foreach (var (key, value) in DeviceListing.List(context))
                json[key] = value?.DeepClone();
        }
        json["libcuda"] = LibCuda.EnsureIlgpuResolver();
        return json;
    }

    /// <summary>The number of CUDA devices in a devices stage's result (0 when it failed).</summary>
    /// <param name="stage">A result of <see cref="Run"/> (or of <see cref="Stage.Run"/> around it).</param>
    /// <returns>The <c>"cuda_devices"</c> count.</returns>
    public static int CudaCount(JsonObject stage) =>
        stage?["cuda_devices"]?.GetValue<int>() ?? 0;
}
