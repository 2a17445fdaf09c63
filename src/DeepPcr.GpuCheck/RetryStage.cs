using System.Text.Json.Nodes;

namespace DeepPcr.GpuCheck;

/// <summary>
/// The <c>"retry"</c> stage, run when the default context lists no CUDA device: tries
/// <see cref="ContextRecipe.Retries"/> (an instruction-set override, an unfiltered CUDA listing,
/// all accelerators) and records what each lists.
/// </summary>
public static class RetryStage
{
    /// <summary>Tries each retry recipe.</summary>
    /// <param name="selected">The first recipe that listed a CUDA device with an instruction set, or null.</param>
    /// <returns><c>"attempts"</c> (one per recipe) and <c>"selected"</c>.</returns>
    public static JsonObject Run(out ContextRecipe? selected)
    {
        selected = null;
        int cudaDevices = 0;
        var attempts = new JsonArray();
        foreach (var recipe in ContextRecipe.Retries)
        {
            var attempt = Stage.Run(() => DevicesStage.Run(recipe));
            attempt["name"] = recipe.Name;
            attempts.Add(attempt);
            if (selected is null && HasRunnableCudaDevice(attempt))
            {
                selected = recipe;
                cudaDevices = DevicesStage.CudaCount(attempt);
            }
        }
        return new JsonObject
        {
            ["attempts"] = attempts,
            ["selected"] = selected?.Name,
            ["cuda_devices"] = cudaDevices,
        };
    }

    /// <summary>Whether a devices listing holds a CUDA device that has a PTX instruction set (so it can run kernels).</summary>
    /// <param name="listing">A devices stage's JSON.</param>
    /// <returns>True when such a device is listed.</returns>
    public static bool HasRunnableCudaDevice(JsonObject listing) =>
        listing?["devices"] is JsonArray devices &&
        devices.OfType<JsonObject>().Any(d =>
            d["accelerator_type"]?.GetValue<string>() == "Cuda" &&
            d["instruction_set"] is not null);
}
