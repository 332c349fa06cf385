// Acls: creates ACLs through the Kafka Admin API (kafka-clients from the broker's own jars), for
// scripts/kafka-local start --secure. Run with the JDK's source launcher:
//   java -cp "LIB/*" Acls.java BOOTSTRAP ACL...
// ACL: PRINCIPAL,RESOURCE_TYPE,PATTERN_TYPE,NAME,OPERATION (ALLOW from any host), e.g.
//   User:bob,TOPIC,PREFIXED,kchat-,CREATE
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class Acls {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        List<AclBinding> acls = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String[] f = args[i].split(",", 5);
            ResourcePattern res = new ResourcePattern(ResourceType.valueOf(f[1]), f[3],
                                                      PatternType.valueOf(f[2]));
            acls.add(new AclBinding(res, new AccessControlEntry(f[0], "*",
                                                                AclOperation.valueOf(f[4]),
                                                                AclPermissionType.ALLOW)));
        }
        try (Admin admin = Admin.create(props)) {
            admin.createAcls(acls).all().get();
        }
        System.out.println("created " + acls.size() + " ACLs");
    }
}
