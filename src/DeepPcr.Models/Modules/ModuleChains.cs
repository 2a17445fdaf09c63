using DeepPcr.Autograd;
using DeepPcr.Chains;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Modules;

/// <summary>
/// Turns a user's own TorchSharp layers into a <see cref="ChainModule"/>. Square w x w <c>Linear</c> layers, each
/// followed by at most one elementwise activation module (Tanh, ReLU, Sigmoid, exact GELU, Identity; none means identity),
/// one activation for all layers or one per layer, are recognised and run as an <see cref="MlpChain"/> on the host engine, with the
/// gradients landing in the layers' own parameters (<see cref="LinearLayersStep"/>); so are stacks of the library's
/// <see cref="ResNet.ResidualBlock"/> with one step scale, as a <see cref="ResNet.ResidualChain"/>
/// (<see cref="ResidualBlocksStep"/>). Anything else runs through
/// <see cref="ModuleListStep"/>, each top-level module a step, with autograd Jacobians.
/// </summary>
public static class ModuleChains
{
    /// <summary>The chain of a <c>Sequential</c> (nested Sequentials are flattened for recognition).</summary>
    /// <param name="sequential">The layers.</param>
    /// <param name="solver">The forward method; null for <see cref="AutoSolver"/>, which picks the fused sequential pass or
    /// DeepPCR by its cost model (and, for recognised layers, the backward solve that ran faster).</param>
    public static ChainModule From(TorchSharp.Modules.Sequential sequential, IChainSolver? solver = null) =>
        From(sequential?.children() ?? throw new ArgumentNullException(nameof(sequential)), solver);

    /// <summary>The chain of a list of modules (a <c>ModuleList</c>'s items, or blocks), each mapping (B, w) to (B, w).</summary>
    /// <param name="modules">The steps.</param>
    /// <param name="solver">As for the <c>Sequential</c> overload.</param>
    /// <param name="width">w, needed only when no module is a <c>Linear</c> to read it from.</param>
    /// <exception cref="ArgumentException">No module, or a module that does not map tensors to tensors.</exception>
    public static ChainModule From(IEnumerable<nn.Module> modules, IChainSolver? solver = null, int? width = null)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var list = modules.ToList();
        if (list.Count == 0) throw new ArgumentException("At least one module is needed.", nameof(modules));
        StackedLayersStep? layers = (StackedLayersStep?)Recognise(list) ?? RecogniseResidualBlocks(list);
        if (layers is not null) return new ChainModule(layers, solver ?? AutoSolver.Instance, modules: list);
        return new ChainModule(AsModuleList(list, width), solver ?? AutoSolver.Instance);
    }

    /// <summary>The recognised layers as one step, or null when the modules are not square Linear layers each followed by at most one recognised activation.</summary>
    public static LinearLayersStep? Recognise(IReadOnlyList<nn.Module> modules)
    {
        var flat = Flatten(modules).ToList();
        var layers = new List<TorchSharp.Modules.Linear>();
        var activations = new List<Activation>();
        for (int i = 0; i < flat.Count;)
        {
            if (flat[i] is not TorchSharp.Modules.Linear linear || linear.weight is not { } w || w.dim() != 2 || w.size(0) != w.size(1)) return null;
            layers.Add(linear);
            i++;
            var activation = Activation.Identity;
            if (i < flat.Count && ActivationOf(flat[i]) is { } a)
            {
                activation = a;
                i++;
            }
            activations.Add(activation);
        }
        if (layers.Count == 0) return null;
        try
        {
            return new LinearLayersStep(layers, activations);
        }
        catch (ArgumentException)
        {
            return null; // layers of different widths, dtypes or devices, or non-finite weights: not one MLP chain
        }
    }

    /// <summary>The blocks as one residual chain, or null when the modules are not all <see cref="ResNet.ResidualBlock"/>s of one
    /// width, dtype, device and step scale.</summary>
    public static ResidualBlocksStep? RecogniseResidualBlocks(IReadOnlyList<nn.Module> modules)
    {
        var flat = Flatten(modules).ToList();
        if (flat.Count == 0 || !flat.All(m => m is ResNet.ResidualBlock)) return null;
        try
        {
            return new ResidualBlocksStep(flat.Cast<ResNet.ResidualBlock>().ToList());
        }
        catch (ArgumentException)
        {
            return null; // blocks of different widths, dtypes, devices or step scales: not one residual chain
        }
    }

    /// <summary>The activation a module computes, or null when it is not one of the recognised elementwise modules.</summary>
    public static Activation? ActivationOf(nn.Module module) => module switch
    {
        TorchSharp.Modules.Tanh => Activation.Tanh,
        TorchSharp.Modules.ReLU => Activation.Relu,
        TorchSharp.Modules.Sigmoid => Activation.Sigmoid,
        TorchSharp.Modules.Identity => Activation.Identity,
        TorchSharp.Modules.GELU gelu when IsExact(gelu) => Activation.Gelu,
        _ => null,
    };

    /// <summary>True unless the GELU module uses the tanh approximation (the chain's GELU is the exact erf form).</summary>
    private static bool IsExact(TorchSharp.Modules.GELU gelu)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = torch.tensor(new[] { -1.5, 0.3, 2.0 });
        return (gelu.call(x) - torch.nn.functional.gelu(x)).abs().max().ToDouble() < 1e-12;
    }

    private static IEnumerable<nn.Module> Flatten(IEnumerable<nn.Module> modules) =>
        modules.SelectMany(m => m is TorchSharp.Modules.Sequential s ? Flatten(s.children()) : new[] { m });

    private static ModuleListStep AsModuleList(IReadOnlyList<nn.Module> modules, int? width)
    {
        var steps = modules.Select((m, k) => m as nn.Module<Tensor, Tensor>
            ?? throw new ArgumentException($"Module {k} ({m.GetType().Name}) does not map a tensor to a tensor.", nameof(modules))).ToList();
        int w = width ?? Flatten(modules).Select(m => m switch
            {
                TorchSharp.Modules.Linear linear => (int?)linear.in_features,
                ResNet.ResidualBlock block => (int)block.Weight.size(1),
                _ => null,
            }).FirstOrDefault(v => v is not null)
            ?? throw new ArgumentException("No Linear layer or residual block to read the width from: pass width.", nameof(width));
        return new ModuleListStep(steps, w);
    }
}
