using System.Text.Json.Nodes;

namespace DeepPcr.GpuCheck;

/// <summary>
/// The <c>"retry"</c> stage, run when the default context lists no CUDA device: tries
/// <see cref="ContextRecipe.Retries"/> (an instruction-set override, an unfiltered CUDA listing,
/// all accelerators) and records what each lists, with <see cref="IlgpuCudaDiagnosis"/> of why the
/// default found none.
/// </summary>
public static class RetryStage
{
    /// <summary>Tries each retry recipe.</summary>
    /// <param name="selected">The first recipe that listed a CUDA device with an instruction set, or null.</param>
    /// <returns><c>"attempts"</c> (one per recipe) and <c>"selected"</c>; <c>"ok"</c> is false when none lists a usable CUDA device.</returns>
    public static JsonObject Run(out ContextRecipe? selected)
    {
        selected = null;
        int cudaDevices = 0;
        var attempts = new JsonArray();
        foreach (var recipe in ContextRecipe.Retries)
        {
            var attempt = new JsonObject { ["name"] = recipe.Name };
            foreach (var (key, value) in Stage.Run(() => DevicesStage.Run(recipe)))
                attempt[key] = value?.DeepClone();
            attempts.Add(attempt);
            if (selected is null && HasRunnableCudaDevice(attempt))
            {
                selected = recipe;
                cudaDevices = DevicesStage.CudaCount(attempt);
            }
        }
        return new JsonObject
        {
            ["ok"] = selected is not null,
            ["ilgpu_cuda"] = Stage.Run(IlgpuCudaDiagnosis.Run),
            ["error"] = selected is null ? "no retry lists a CUDA device that has a PTX instruction set" : null,
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
