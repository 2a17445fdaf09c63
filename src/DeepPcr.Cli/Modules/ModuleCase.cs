using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Modules;

/// <summary>
/// One family of user modules for `bench modules`: "linear-tanh", a <c>Sequential</c> of L (Linear(w, w), Tanh) pairs
/// that the library recognises, or "unrecognised", L blocks Linear(w, w) -> LayerNorm(w) -> Tanh that it does not.
/// </summary>
/// <param name="Name">"linear-tanh" or "unrecognised".</param>
/// <param name="Layers">L.</param>
/// <param name="Width">w.</param>
/// <param name="Batch">B.</param>
public sealed record ModuleCase(string Name, int Layers, int Width, int Batch)
{
    /// <summary>The default cases of the issue: (256, 16, 8) and (1024, 4, 1) recognised, (256, 16, 8) not.</summary>
    public static IReadOnlyList<ModuleCase> Defaults { get; } = new[]
    {
        new ModuleCase("linear-tanh", 256, 16, 8),
        new ModuleCase("linear-tanh", 1024, 4, 1),
        new ModuleCase("unrecognised", 256, 16, 8),
    };

    /// <summary>The modules, seeded, in the given dtype: the same weights for every dtype (drawn in float64).</summary>
    /// <returns>The top-level modules: L (Linear, Tanh) pairs flattened, or L blocks.</returns>
    public List<nn.Module> Build(ScalarType dtype, long seed)
    {
        torch.random.manual_seed(seed);
        var modules = new List<nn.Module>();
        for (int k = 0; k < Layers; k++)
        {
            var linear = nn.Linear(Width, Width, dtype: ScalarType.Float64);
            if (Name == "linear-tanh")
            {
                modules.Add(linear.to(dtype));
                modules.Add(nn.Tanh());
            }
            else
            {
                modules.Add(nn.Sequential(linear, nn.LayerNorm(Width, dtype: ScalarType.Float64), nn.Tanh()).to(dtype));
            }
        }
        return modules;
    }

    /// <summary>The modules called one after another: what a user writes.</summary>
    public static Tensor CallAll(IReadOnlyList<nn.Module> modules, Tensor input)
    {
        var z = input;
        foreach (var m in modules) z = ((nn.Module<Tensor, Tensor>)m).call(z);
        return z;
    }
}
